package runtime.cli.commands.oci;

import java.util.List;

/** {@code delete [--force] ID}: remove a stopped container (forced: kill it first). */
final class OciDelete implements OciSubcommand {
    @Override
    public List<OciArguments.Flag> flags() {
        return List.of(OciArguments.Flag.bool("force", "f"));
    }

    @Override
    public int run(OciArguments args, OciContext context) throws Exception {
        context.runtime().delete(args.id(), args.flag("force"));
        return 0;
    }
}
