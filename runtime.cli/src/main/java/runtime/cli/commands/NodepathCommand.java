package runtime.cli.commands;

import runtime.cli.Command;
import runtime.cli.Invocation;

public final class NodepathCommand implements Command {
    @Override
    public String name() {
        return "nodepath";
    }

    @Override
    public String summary() {
        return "print the directory holding an image's top layer files (not the merged image)";
    }

    @Override
    public java.util.List<Item> examples() {
        return java.util.List.of(new Item("ls \"$(strata nodepath busybox)\"", "the top layer's directory"));
    }

    @Override
    public String arguments() {
        return "IMAGE";
    }

    @Override
    public int run(Invocation in) {
        in.atMost(1);
        in.out().println(in.engine().store().resolve(in.argument(0, "IMAGE")).root());
        return 0;
    }
}
