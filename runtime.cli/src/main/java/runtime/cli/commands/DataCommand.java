package runtime.cli.commands;

import runtime.cli.Command;
import runtime.cli.Invocation;

public final class DataCommand implements Command {
    @Override
    public String name() {
        return "data";
    }

    @Override
    public String summary() {
        return "print the path of the image store";
    }

    @Override
    public java.util.List<Item> examples() {
        return java.util.List.of(new Item("du -sh \"$(strata data)\"", "the size of the store"));
    }

    @Override
    public int run(Invocation in) {
        in.atMost(0);
        in.out().println(in.engine().store().data());
        return 0;
    }
}
