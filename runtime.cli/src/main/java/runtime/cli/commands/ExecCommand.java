package runtime.cli.commands;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import runtime.cli.Command;
import runtime.cli.Invocation;
import runtime.cli.Main;
import runtime.core.store.ImageConfig;
import runtime.core.store.Layer;

/**
 * {@code strata exec BUILDFILE [ARGS...]}: builds the image a buildfile describes (relative paths from
 * the buildfile's directory), then runs its --entrypoint with ARGS appended; a buildfile without one is an
 * error. Made for shebang lines, so a buildfile is a runnable program:
 * <pre>
 * #!/usr/bin/env -S strata exec
 * --from alpine
 * --apk python3
 * --entrypoint python3
 * </pre>
 */
public final class ExecCommand implements Command {
    @Override
    public String name() {
        return "exec";
    }

    @Override
    public String summary() {
        return "build the image of a buildfile (in its directory) and run its entrypoint with ARGS; for #!/usr/bin/env -S strata exec";
    }

    @Override
    public java.util.List<Item> examples() {
        return java.util.List.of(new Item("strata exec ./app.build --version", "build the buildfile's image and run its entrypoint with --version"));
    }

    @Override
    public String arguments() {
        return "BUILDFILE [ARG...]";
    }

    @Override
    public boolean rawArguments() {
        return true;
    }

    @Override
    public int run(Invocation in) throws Exception {
        String file = in.argument(0, "BUILDFILE");
        Path buildfile = in.cwd().resolve(file).normalize();
        // As plash's exec: the build runs in the buildfile's directory, wherever it is called from.
        Layer layer = BuildCommand.build(in, List.of("--eval-file", buildfile.toString()), buildfile.getParent());
        // The buildfile's --entrypoint (kept as the image's Cmd, so `run IMAGE CMD` replaces it as in plash).
        List<String> entrypoint = ImageConfig.read(layer.directory()).defaultCommand();
        if (entrypoint.isEmpty()) {
            in.err().println("strata: " + file + " has no --entrypoint: strata exec runs a buildfile's entrypoint");
            return 1;
        }
        List<String> args = in.arguments().subList(1, in.arguments().size());
        List<String> run = new ArrayList<>(List.of("run"));
        if (!args.isEmpty()) {
            // A buildfile is a program: its ARGS go to its entrypoint, as `strata exec ./tool --version` promises.
            run.addAll(List.of("--entrypoint", new com.fasterxml.jackson.databind.ObjectMapper().writeValueAsString(entrypoint)));
        }
        run.add(layer.id());
        run.addAll(args);
        return Main.run(in.context().withArgs(run));
    }
}
