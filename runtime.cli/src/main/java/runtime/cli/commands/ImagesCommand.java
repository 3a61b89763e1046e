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
        return java.util.List.of(new Item("strata images", "the layers as a tree with sizes, instructions and names"));
    }

    @Override
    public int run(Invocation in) {
        in.atMost(0);
        ImageStore store = in.engine().store();
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
