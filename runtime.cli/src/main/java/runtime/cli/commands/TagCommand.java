package runtime.cli.commands;

import java.util.Optional;

import runtime.cli.Command;
import runtime.cli.Invocation;
import runtime.core.Engine;
import runtime.core.store.ImageStore;
import runtime.core.store.Layer;

/** podman's tag: more names for an image in the store (strata map KEY IMAGE, several at once). */
public final class TagCommand implements Command {
    @Override
    public String name() {
        return "tag";
    }

    @Override
    public String summary() {
        return "give an image in the store more names (podman's tag; names work wherever an image is expected)";
    }

    @Override
    public String arguments() {
        return "IMAGE NAME [NAME...]";
    }

    @Override
    public java.util.List<Item> examples() {
        return java.util.List.of(new Item("strata tag busybox app:1 localhost:5000/app:1", "two more names for the busybox image"));
    }

    @Override
    public int run(Invocation in) throws Exception {
        String image = in.argument(0, "IMAGE");
        in.argument(1, "NAME");
        var names = in.arguments().subList(1, in.arguments().size());
        for (String n : names) {
            try {
                ImageStore.checkMapName(n); // every name first: a bad one names nothing
            } catch (IllegalArgumentException | runtime.core.store.StoreException e) {
                throw new Invocation.BadValueException(e.getMessage());
            }
        }
        Engine engine = in.engine();
        Layer layer = engine.resolveImage(image, Engine.PullPolicy.NEVER);
        for (String n : names) engine.store().map(n, Optional.of(layer.id()));
        return 0;
    }
}
