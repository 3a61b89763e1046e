package runtime.cli.commands;

import java.util.List;

import runtime.cli.Command;
import runtime.cli.Invocation;
import runtime.core.Engine;

public final class RmCommand implements Command {
    @Override
    public String name() {
        return "rm";
    }

    @Override
    public String summary() {
        return "remove an image, every layer built on it, and the names pointing at them";
    }

    @Override
    public java.util.List<Item> examples() {
        return java.util.List.of(new Item("strata rm $img", "the layer, every layer built on it, and their names"));
    }

    @Override
    public String arguments() {
        return "IMAGE";
    }

    @Override
    public int run(Invocation in) throws Exception {
        Engine engine = in.engine();
        List<String> removed = engine.remove(engine.store().resolve(in.argument(0, "IMAGE")));
        for (String id : removed) in.out().println(id.substring(0, 12));
        return 0;
    }
}
