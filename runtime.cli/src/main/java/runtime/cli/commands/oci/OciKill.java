package runtime.cli.commands.oci;

import java.util.List;

import runtime.api.sys.Signals;

/** {@code kill [--all] ID [SIGNAL]}: SIGTERM unless a signal (name or number) is given. */
final class OciKill implements OciSubcommand {
    @Override
    public List<OciArguments.Flag> flags() {
        return List.of(OciArguments.Flag.bool("all", "a"), OciArguments.Flag.value("pid", "p"));
    }

    @Override
    public int run(OciArguments args, OciContext context) throws Exception {
        int signal = args.positional().size() > 1 ? Signals.parse(args.positional().get(1)) : 15;
        context.runtime().kill(args.id(), signal, args.flag("all"));
        return 0;
    }
}
