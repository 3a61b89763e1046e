package runtime.cli.commands.oci;

import java.util.List;

/** {@code state ID}: the runtime spec's state JSON. */
final class OciState implements OciSubcommand {
    @Override
    public List<OciArguments.Flag> flags() {
        return List.of();
    }

    @Override
    public int run(OciArguments args, OciContext context) throws Exception {
        context.out.println(context.runtime().state(args.id()));
        return 0;
    }
}
