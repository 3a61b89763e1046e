package runtime.cli.commands;

import runtime.cli.Command;
import runtime.cli.Invocation;
import runtime.core.store.Layer;

public final class ParentCommand implements Command {
    @Override
    public String name() {
        return "parent";
    }

    @Override
    public String summary() {
        return "print the id of an image's parent layer (exit 1 for a base layer)";
    }

    @Override
    public java.util.List<Item> examples() {
        return java.util.List.of(new Item("strata parent $img", "the id of the layer below"));
    }

    @Override
    public String arguments() {
        return "IMAGE";
    }

    @Override
    public int run(Invocation in) {
        in.atMost(1);
        Layer layer = in.engine().store().resolve(in.argument(0, "IMAGE"));
        if (layer.parent().isEmpty()) {
            in.err().println("strata: " + layer.shortId() + " is a base layer: it has no parent");
            return 1;
        }
        in.out().println(layer.parent().get());
        return 0;
    }
}
