package runtime.cli.commands;

import runtime.cli.Command;
import runtime.cli.Invocation;
import runtime.core.store.ImageStore;
import runtime.core.store.LayerTree;

public final class ImagesCommand implements Command {
    @Override
    public String name() {
        return "images";
    }

    @Override
    public String summary() {
        return "list the layers as a tree by parent, with sizes, instructions and names (alias: ls)";
    }

    @Override
    public java.util.List<Item> examples() {
        return java.util.List.of(new Item("strata images", "the layers as a tree with sizes, instructions and names"),
                new Item("strata images -q", "every layer's id, one a line"),
                new Item("strata images --format '{{.ID}} {{.Names}}'", "a line per layer from a template (--format json: an array)"));
    }

    /** The keys of a layer's record, in their order (--format json, template fields). */
    static final java.util.List<String> FIELDS = java.util.List.of("id", "parent", "names", "size", "created", "instruction");

    @Override
    public org.apache.commons.cli.Options options() {
        return Listing.options(new org.apache.commons.cli.Options(), "layers'");
    }

    @Override
    public int run(Invocation in) throws java.io.IOException {
        in.atMost(0);
        Listing listing = Listing.of(in, FIELDS);
        ImageStore store = in.engine().store();
        if (!listing.table()) {
            java.util.List<java.util.Map<String, Object>> rows = new java.util.ArrayList<>();
            for (LayerTree.Row row : LayerTree.rows(store.list(), store.maps())) {
                var l = row.layer();
                rows.add(Listing.row("id", l.id(), "parent", l.parent() == null ? "" : l.parent(), "names", row.names(), "size", l.size(),
                        "created", l.created() == null ? "" : l.created(), "instruction", l.instruction()));
            }
            listing.print(in.out(), rows, "id");
            return 0;
        }
        in.out().printf("%-12s  %10s  %s%n", "ID", "SIZE", "INSTRUCTION  [NAMES]");
        for (LayerTree.Row row : LayerTree.rows(store.list(), store.maps())) {
            String names = row.names().isEmpty() ? "" : "  [" + String.join(", ", row.names()) + "]";
            in.out().printf("%s%-12s  %10s  %s%s%n", row.prefix(), row.layer().id().substring(0, 12), human(row.layer().size()),
                    LayerTree.shortInstruction(row.layer().instruction()), names);
        }
        return 0;
    }

    /** A size as people read it: 512 B, 1.9 MiB. Shared with the shell. */
    public static String human(long bytes) {
        if (bytes < 1024) return bytes + " B";
        double v = bytes;
        String[] units = {"KiB", "MiB", "GiB", "TiB"};
        int u = -1;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return String.format("%.1f %s", v, units[u]);
    }
}
