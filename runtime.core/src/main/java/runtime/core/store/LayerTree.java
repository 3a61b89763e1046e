package runtime.core.store;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The layers of a store as a forest by parent relation, flattened into display rows: each child comes
 * after its parent, indented with tree lines ({@code ├─ }, {@code └─ }), siblings in creation order.
 * A layer whose parent is missing is shown as a root.
 */
public final class LayerTree {
    /** One line: {@code prefix} is the tree drawing, {@code names} the map names pointing at the layer. */
    public record Row(String prefix, LayerInfo layer, List<String> names) {}

    private LayerTree() {}

    /** @param layers in creation order (as {@link ImageStore#list()} returns them); @param maps name to id */
    public static List<Row> rows(List<LayerInfo> layers, Map<String, String> maps) {
        Map<String, List<LayerInfo>> children = new HashMap<>();
        Map<String, LayerInfo> byId = new HashMap<>();
        for (LayerInfo l : layers) byId.put(l.id(), l);
        List<LayerInfo> roots = new ArrayList<>();
        for (LayerInfo l : layers) {
            if (l.parent() == null || !byId.containsKey(l.parent()) || l.parent().equals(l.id())) {
                roots.add(l);
            } else {
                children.computeIfAbsent(l.parent(), k -> new ArrayList<>()).add(l);
            }
        }
        Map<String, List<String>> names = new HashMap<>();
        new TreeMap<>(maps).forEach((name, id) -> names.computeIfAbsent(id, k -> new ArrayList<>()).add(name));
        List<Row> rows = new ArrayList<>();
        for (LayerInfo root : roots) walk(root, "", "", children, names, rows, 0);
        return rows;
    }

    private static void walk(LayerInfo layer, String prefix, String childIndent, Map<String, List<LayerInfo>> children,
                             Map<String, List<String>> names, List<Row> rows, int depth) {
        rows.add(new Row(prefix, layer, names.getOrDefault(layer.id(), List.of())));
        if (depth > 4096) return; // a parent loop; the store's chain() reports it
        List<LayerInfo> kids = children.getOrDefault(layer.id(), List.of());
        for (int i = 0; i < kids.size(); i++) {
            boolean last = i == kids.size() - 1;
            walk(kids.get(i), childIndent + (last ? "└─ " : "├─ "), childIndent + (last ? "   " : "│  "),
                    children, names, rows, depth + 1);
        }
    }

    /** Shortens long hex digests in an instruction for display: {@code sha256:7a61…} keeps 12 digits. */
    public static String shortInstruction(String instruction) {
        return instruction.replaceAll("([0-9a-f]{12})[0-9a-f]{20,}", "$1…");
    }
}
