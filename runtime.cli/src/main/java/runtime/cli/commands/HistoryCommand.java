package runtime.cli.commands;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.apache.commons.cli.Options;

import runtime.cli.Command;
import runtime.cli.Invocation;
import runtime.core.Engine;
import runtime.core.store.ImageStore;
import runtime.core.store.Layer;
import runtime.core.store.LayerInfo;
import runtime.core.store.LayerTree;

/** podman's history: an image's layers, newest first, with when and by what each was made and its size. */
public final class HistoryCommand implements Command {
    /** The keys of a layer's record, in their order (--format json, template fields). */
    static final List<String> FIELDS = List.of("id", "created", "createdBy", "size");

    @Override
    public String name() {
        return "history";
    }

    @Override
    public String summary() {
        return "show an image's layers, newest first: when, by what instruction, and their sizes (podman's history)";
    }

    @Override
    public String arguments() {
        return "IMAGE";
    }

    @Override
    public Options options() {
        return Listing.options(new Options(), "layers'");
    }

    @Override
    public List<Item> examples() {
        return List.of(new Item("strata history app", "app's layers and the instructions that made them"),
                new Item("strata history --format '{{.CreatedBy}}' app", "only the instructions"));
    }

    @Override
    public int run(Invocation in) throws Exception {
        String image = in.argument(0, "IMAGE");
        in.atMost(1);
        Listing listing = Listing.of(in, FIELDS);
        Engine engine = in.engine();
        ImageStore store = engine.store();
        Layer top = engine.resolveImage(image, Engine.PullPolicy.NEVER);
        List<Map<String, Object>> rows = new ArrayList<>();
        for (Layer l : store.chain(top)) {
            LayerInfo info = store.info(l.id()).orElse(new LayerInfo(l.id(), "", "", "", 0));
            rows.add(Listing.row("id", l.id(), "created", info.created() == null ? "" : info.created(),
                    "createdBy", info.instruction() == null ? "" : info.instruction(), "size", info.size()));
        }
        if (!listing.table()) {
            listing.print(in.out(), rows, "id");
            return 0;
        }
        in.out().printf("%-12s  %-23s  %10s  %s%n", "ID", "CREATED", "SIZE", "CREATED BY");
        for (Map<String, Object> r : rows) {
            String created = String.valueOf(r.get("created"));
            in.out().printf("%-12s  %-23s  %10s  %s%n", String.valueOf(r.get("id")).substring(0, 12),
                    created.length() >= 19 && created.endsWith("Z") ? created.substring(0, 19).replace('T', ' ') + " UTC" : created, ImagesCommand.human((Long) r.get("size")),
                    LayerTree.shortInstruction(String.valueOf(r.get("createdBy"))));
        }
        return 0;
    }
}
