package runtime.cli.commands;

import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.apache.commons.cli.Option;
import org.apache.commons.cli.Options;

import runtime.cli.Command;
import runtime.cli.Invocation;
import runtime.cli.Main;
import runtime.core.Engine;
import runtime.core.store.ImageStore;
import runtime.core.store.Layer;

/**
 * podman's rmi: for each IMAGE, a name of an image that has other names loses only that name
 * ("Untagged: NAME"); otherwise the image goes with its names ("Deleted: ID"). An image other layers are
 * built on stays unless --force, which removes them too (strata rm). Each is reported; one failing
 * does not stop the others.
 */
public final class RmiCommand implements Command {
    @Override
    public String name() {
        return "rmi";
    }

    @Override
    public String summary() {
        return "remove images or names of them (podman's rmi; --force: with the layers built on them)";
    }

    @Override
    public String arguments() {
        return "IMAGE [IMAGE...]";
    }

    @Override
    public Options options() {
        return new Options().addOption(Option.builder("f").longOpt("force").desc("remove the layers built on an image too").build());
    }

    @Override
    public List<Item> examples() {
        return List.of(new Item("strata rmi app:1", "remove the name app:1, or the image when that is its only name"),
                new Item("strata rmi -f $(strata images -q)", "every image"));
    }

    @Override
    public List<Item> exitCodes() {
        return List.of(new Item("0", "every image or name removed"), new Item("1", "some could not be (one line each says why)"),
                new Item("2", "wrong usage"), new Item("125", "strata itself failed"));
    }

    @Override
    public int run(Invocation in) throws Exception {
        in.argument(0, "IMAGE");
        Engine engine = in.engine();
        ImageStore store = engine.store();
        int failed = 0;
        for (String ref : in.arguments()) {
            try {
                remove(in, engine, store, ref);
            } catch (Invocation.UsageException | Invocation.BadValueException e) {
                throw e;
            } catch (RuntimeException e) {
                in.err().println("strata rmi: " + ref + ": " + Main.message(e));
                failed++;
            }
        }
        return failed == 0 ? 0 : 1;
    }

    private static void remove(Invocation in, Engine engine, ImageStore store, String ref) throws Exception {
        Map<String, String> maps = store.maps();
        Layer layer = store.resolve(ref);
        List<String> names = maps.entrySet().stream().filter(e -> e.getValue().equals(layer.id())).map(Map.Entry::getKey).toList();
        if (maps.containsKey(ref) && names.size() > 1) {
            store.map(ref, Optional.empty());
            in.out().println("Untagged: " + ref);
            return;
        }
        List<String> ids = store.withDescendants(layer.id());
        if (ids.size() > 1 && !in.has("force")) {
            throw new IllegalStateException((ids.size() - 1) + " layer" + (ids.size() == 2 ? " is" : "s are")
                    + " built on it (strata images shows them; --force removes them too)");
        }
        for (String n : names) in.out().println("Untagged: " + n);
        for (String id : engine.remove(layer)) in.out().println("Deleted: " + id);
    }
}
