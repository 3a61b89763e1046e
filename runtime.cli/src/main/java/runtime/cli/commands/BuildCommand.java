package runtime.cli.commands;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

import runtime.cli.Command;
import runtime.cli.Invocation;
import runtime.core.build.BuildScript;
import runtime.core.build.Builder;
import runtime.core.build.Macros;
import runtime.core.store.Layer;

/**
 * {@code strata build [--no-cache] [--fs DRIVER] MACROS...}: builds an image layer by layer and prints
 * its id. Step output goes to stderr, so {@code $(strata build ...)} captures only the id.
 */
public final class BuildCommand implements Command {
    @Override
    public String name() {
        return "build";
    }

    @Override
    public String summary() {
        return "build an image from macros (--from IMAGE --apk PKG --run CMD ...) and print its id";
    }

    @Override
    public java.util.List<Item> examples() {
        return java.util.List.of(new Item("strata build --from tar:rootfs.tar --run 'echo hi > /etc/motd' -l --env GREETING=hello", "two layers on an imported tar; prints the image id"),
                new Item("strata build --help-macros", "every macro, one a line"));
    }

    @Override
    public java.util.List<Item> environment() {
        return java.util.List.of(new Item("STRATA_FS", "filesystem driver for the steps"));
    }

    @Override
    public String arguments() {
        return "[--no-cache] [--fs DRIVER] [--help-macros] MACRO [ARG...] ...";
    }

    @Override
    public boolean rawArguments() {
        return true;
    }

    @Override
    public int run(Invocation in) throws Exception {
        List<String> args = in.arguments();
        if (args.contains("--help-macros")) {
            HelpMacrosCommand.print(in);
            return 0;
        }
        if (args.isEmpty()) throw new Invocation.UsageException("no macros given");
        Layer layer = build(in, args);
        in.out().println(layer.id());
        return 0;
    }

    /** Builds from leading build options followed by macros; shared by build, b and exec. */
    static Layer build(Invocation in, List<String> args) throws Exception {
        return build(in, args, in.cwd());
    }

    /** As {@link #build(Invocation, List)}, with relative paths and the steps' working directory at {@code cwd}. */
    static Layer build(Invocation in, List<String> args, Path cwd) throws Exception {
        boolean noCache = false;
        Optional<String> fs = Optional.empty();
        int i = 0;
        while (i < args.size()) {
            String a = args.get(i);
            if (a.equals("--no-cache")) {
                noCache = true;
                i++;
            } else if (a.equals("--fs")) {
                if (i + 1 >= args.size()) throw new Invocation.UsageException("--fs needs a driver name");
                fs = Optional.of(args.get(i + 1));
                i += 2;
            } else {
                break;
            }
        }
        BuildScript script = BuildScript.fromArguments(args.subList(i, args.size()), cwd, in.env(), in.stdio().in());
        Builder builder = new Builder(in.engine(), new Builder.Options(noCache, fs, cwd, in.err()));
        Layer layer = builder.build(script);
        // What `strata this` (plash's this) runs on.
        in.engine().store().map(RememberCommand.THIS, Optional.of(layer.id()));
        if (in.debug()) {
            in.err().printf("strata: %d steps built, %d cached%n", builder.stepsBuilt(), builder.stepsCached());
        }
        return layer;
    }
}
