package runtime.cli.commands.oci;

import java.util.List;

import runtime.core.launch.Launcher;
import runtime.core.oci.OciRuntime;

/**
 * {@code run [--bundle B] [--detach] ID}: create, start, wait for the container's end (its exit status),
 * delete; detached, create and start only (the container runs on, as after runc's run -d).
 */
final class OciRun implements OciSubcommand {
    @Override
    public List<OciArguments.Flag> flags() {
        List<OciArguments.Flag> flags = new java.util.ArrayList<>(OciCreate.FLAGS);
        flags.add(OciArguments.Flag.bool("detach", "d"));
        return flags;
    }

    @Override
    public int run(OciArguments args, OciContext context) throws Exception {
        String id = args.id();
        OciRuntime runtime = context.runtime();
        if (args.flag("detach")) {
            runtime.create(id, OciCreate.options(args, false, context));
            try {
                runtime.start(id);
            } catch (Exception e) {
                runtime.delete(id, true);
                throw e;
            }
            return 0;
        }
        Launcher.OciProcess process = runtime.create(id, OciCreate.options(args, true, context));
        try {
            runtime.start(id);
            return OciRuntime.await(process);
        } finally {
            runtime.delete(id, true);
        }
    }
}
