package runtime.cli.commands;

import runtime.cli.Command;
import runtime.cli.Invocation;
import runtime.core.store.Layer;

/**
 * Hidden: puts the training image, and the cached layer of its build step, into the store
 * ({@code $STRATA_DATA}) and prints the image's id. The launcher then records the AOT cache of a hot
 * command from a real invocation of it on that image, in a JVM that loaded nothing else.
 */
public final class AotSampleCommand implements Command {
    @Override
    public String name() {
        return "__aot-sample";
    }

    @Override
    public String summary() {
        return "internal: the image for the AOT cache's training runs";
    }

    @Override
    public int run(Invocation in) throws Exception {
        Layer image = TrainingImage.create(in.engine());
        TrainingImage.cacheBuildStep(in.engine(), image);
        in.out().println(image.id());
        return 0;
    }
}
