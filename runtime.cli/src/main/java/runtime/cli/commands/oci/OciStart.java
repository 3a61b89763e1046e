package runtime.cli.commands.oci;

import java.util.List;

/** {@code start ID}: the created container's process execs its command. */
final class OciStart implements OciSubcommand {
    @Override
    public List<OciArguments.Flag> flags() {
        return List.of();
    }

    @Override
    public int run(OciArguments args, OciContext context) throws Exception {
        context.runtime().start(args.id());
        return 0;
    }
}
