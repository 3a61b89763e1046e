package runtime.cli.commands;

import runtime.cli.Command;
import runtime.cli.Invocation;
import runtime.core.store.LayerInfo;

public final class ImagesCommand implements Command {
    @Override
    public String name() {
        return "images";
    }

    @Override
    public String summary() {
        return "list images (layers) in the store (alias: ls)";
    }

    @Override
    public int run(Invocation in) {
        in.out().printf("%-12s  %-12s  %10s  %s%n", "ID", "PARENT", "SIZE", "INSTRUCTION");
        for (LayerInfo info : in.engine().store().list()) {
            in.out().printf("%-12s  %-12s  %10s  %s%n", info.id().substring(0, 12),
                    info.parent() == null ? "-" : info.parent().substring(0, 12), human(info.size()), info.instruction());
        }
        return 0;
    }

    static String human(long bytes) {
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
