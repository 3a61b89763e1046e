package runtime.cli.commands;

import runtime.cli.Command;
import runtime.cli.Invocation;

public final class IdCommand implements Command {
    @Override
    public String name() {
        return "id";
    }

    @Override
    public String summary() {
        return "print the full id of an image (given by name, id or id prefix)";
    }

    @Override
    public java.util.List<Item> examples() {
        return java.util.List.of(new Item("strata id busybox", "the full id of the image named busybox"));
    }

    @Override
    public String arguments() {
        return "IMAGE";
    }

    @Override
    public int run(Invocation in) {
        in.atMost(1);
        in.out().println(in.engine().store().resolve(in.argument(0, "IMAGE")).id());
        return 0;
    }
}
