package runtime.cli.commands;

import java.util.List;

import runtime.api.sys.Posix;

import runtime.cli.Command;
import runtime.cli.Invocation;
import runtime.cli.Main;

/**
 * Hidden: the training run of {@code run}'s AOT cache. {@code run IMAGE /usr/bin/true} as people start it,
 * then the same isolated ({@code run -I}), in one process, so the cache holds both paths: trained on the
 * plain run alone, a cold {@code run -I} loaded ~80 classes and spun ~20 method handles the cache did not
 * have. The isolated run only follows a plain run that worked (a failing run would record its error path).
 */
public final class AotTrainRunCommand implements Command {
    @Override
    public String name() {
        return "__aot-train-run";
    }

    @Override
    public String summary() {
        return "internal: the training run for run's AOT cache";
    }

    @Override
    public String arguments() {
        return "IMAGE";
    }

    @Override
    public int run(Invocation in) throws Exception {
        String image = in.argument(0, "IMAGE");
        Posix.linkAhead(); // as Main.main does for run
        int plain = Main.run(in.context().withArgs(List.of("run", image, "/usr/bin/true")));
        if (plain != 0) return plain;
        return Main.run(in.context().withArgs(List.of("run", "-I", image, "/usr/bin/true")));
    }
}
