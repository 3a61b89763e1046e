package runtime.cli.commands.oci;

import java.util.List;

/** {@code pause ID} and {@code resume ID}: freeze or thaw every process of the container (its cgroup's freezer). */
final class OciFreeze implements OciSubcommand {
    private final boolean pause;

    OciFreeze(boolean pause) {
        this.pause = pause;
    }

    @Override
    public List<OciArguments.Flag> flags() {
        return List.of();
    }

    @Override
    public int run(OciArguments args, OciContext context) throws Exception {
        if (pause) context.runtime().pause(args.id());
        else context.runtime().resume(args.id());
        return 0;
    }
}
