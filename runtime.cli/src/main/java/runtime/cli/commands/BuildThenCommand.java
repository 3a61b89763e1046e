package runtime.cli.commands;

import java.util.ArrayList;
import java.util.List;

import runtime.cli.Command;
import runtime.cli.Invocation;
import runtime.cli.Main;
import runtime.core.store.Layer;

/**
 * {@code strata b COMMAND MACROS... [-- ARGS...]}: builds, then runs {@code strata COMMAND IMAGE ARGS...}
 * on the result, e.g. {@code strata b run --from alpine --apk git -- git --version}. strata given macros
 * directly ({@code strata --from alpine -- sh}) means {@code strata b run ...}.
 */
public final class BuildThenCommand implements Command {
    @Override
    public String name() {
        return "b";
    }

    @Override
    public String summary() {
        return "build from macros, then run a strata command on the image: b run --from X --apk Y -- CMD";
    }

    @Override
    public java.util.List<Item> examples() {
        return java.util.List.of(new Item("strata b run --from busybox --run 'echo built > /etc/motd' -- cat /etc/motd", "build, then run a command on the result"));
    }

    @Override
    public String arguments() {
        return "COMMAND [--no-cache] MACRO... [-- ARG...]";
    }

    @Override
    public boolean rawArguments() {
        return true;
    }

    @Override
    public int run(Invocation in) throws Exception {
        List<String> args = in.arguments();
        if (args.isEmpty()) throw new Invocation.UsageException("no command given");
        String command = args.getFirst();
        if (command.startsWith("-")) throw new Invocation.UsageException("the first argument is a strata command (e.g. run), not " + command);
        int separator = args.indexOf("--");
        List<String> macros = args.subList(1, separator < 0 ? args.size() : separator);
        List<String> rest = separator < 0 ? List.of() : args.subList(separator + 1, args.size());
        Layer layer = BuildCommand.build(in, macros);
        List<String> then = new ArrayList<>();
        then.add(command);
        then.add(layer.id());
        then.addAll(rest);
        return Main.run(in.context().withArgs(then));
    }
}
