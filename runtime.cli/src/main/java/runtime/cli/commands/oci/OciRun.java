package runtime.cli.commands.oci;

import java.util.List;

import runtime.core.launch.Launcher;
import runtime.core.oci.OciRuntime;

/** {@code run [--bundle B] ID}: create, start, wait for the container's end (its exit status), delete. */
final class OciRun implements OciSubcommand {
    @Override
    public List<OciArguments.Flag> flags() {
        return OciCreate.FLAGS;
    }

    @Override
    public int run(OciArguments args, OciContext context) throws Exception {
        String id = args.id();
        OciRuntime runtime = context.runtime();
        Launcher.OciProcess process = runtime.create(id, OciCreate.options(args, true, context));
        try {
            runtime.start(id);
            return OciRuntime.await(process);
        } finally {
            runtime.delete(id, true);
        }
    }
}
