package runtime.cli.commands;

import java.util.Map;
import java.util.Optional;

import runtime.cli.Command;
import runtime.cli.Invocation;
import runtime.core.store.ImageStore;

/** plash's map: names for images, usable wherever an image is expected. */
public final class MapCommand implements Command {
    @Override
    public String name() {
        return "map";
    }

    @Override
    public String summary() {
        return "name an image (KEY IMAGE), print the id a name points to (KEY), remove a name (KEY ''), or list names";
    }

    @Override
    public java.util.List<Item> examples() {
        return java.util.List.of(new Item("strata map busybox $id", "name an image"),
                new Item("strata map", "every name and its id"),
                new Item("strata map busybox ''", "remove the name"));
    }

    @Override
    public String arguments() {
        return "[KEY [IMAGE]]";
    }

    @Override
    public int run(Invocation in) {
        ImageStore store = in.engine().store();
        var args = in.arguments();
        if (args.size() > 2) throw new Invocation.UsageException("too many arguments");
        if (args.isEmpty()) {
            for (Map.Entry<String, String> e : store.maps().entrySet()) {
                in.out().println(e.getKey() + " " + e.getValue().substring(0, Math.min(12, e.getValue().length())));
            }
            return 0;
        }
        String key = args.get(0);
        if (args.size() == 1) {
            // As plash's map: an unknown name prints nothing and succeeds, so `$(strata map KEY)` tests for it.
            store.mapped(key).ifPresent(in.out()::println);
            return 0;
        }
        String image = args.get(1);
        if (image.isEmpty()) {
            store.map(key, Optional.empty());
        } else {
            ImageStore.checkMapName(key); // before resolving, so a bad name is the error reported
            store.map(key, Optional.of(store.resolve(image).id()));
        }
        return 0;
    }

}
