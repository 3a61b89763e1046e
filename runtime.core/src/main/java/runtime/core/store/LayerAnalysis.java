package runtime.core.store;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * What makes an image big, as dive (wagoodman/dive) shows it: per layer what it added, changed and
 * removed, the file versions that later layers overwrote or deleted (their bytes stay in the image but
 * nobody sees them), and an efficiency score. Used by the shell's {@code layers}, {@code wasted} and
 * {@code efficiency} and by {@code strata check-image}.
 *
 * <p>Sizes are those of regular files. {@code total} is the bytes of every file version in every layer;
 * {@code wasted} those of the versions hidden by a later layer (an overwrite, a whiteout of the file or
 * a directory above it, an opaque directory above it); {@code efficiency = 1 - wasted / total} (1 for
 * an image without file bytes). dive scores the smallest version of a path as the needed one and counts a
 * deleted file twice; here the visible version is needed and a deletion wastes what it deleted.
 */
public final class LayerAnalysis {
    /** One layer, bottom-most first: what its directory did to the image below it. */
    public record LayerSummary(Layer layer, String instruction, long size, int added, int changed, int removed) {}

    /** A path whose versions in {@code layers} (short ids) were hidden by later layers. */
    public record WastedPath(String path, long bytes, int versions, List<String> layers) {}

    public record Result(List<LayerSummary> layers, long totalBytes, long wastedBytes, int wastedFiles,
                         List<WastedPath> wasted) {
        public double efficiency() {
            return totalBytes == 0 ? 1.0 : 1.0 - (double) wastedBytes / totalBytes;
        }
    }

    private record Version(int layer, long size, boolean directory) {}

    private LayerAnalysis() {}

    public static Result analyse(ImageStore store, Layer image) throws IOException {
        List<Layer> chain = store.chain(image).reversed();
        boolean rootStore = store.rootStore();
        // The merged view so far: path (relative, no leading slash) -> the version that shows.
        TreeMap<String, Version> visible = new TreeMap<>();
        Map<String, long[]> wastedBytes = new LinkedHashMap<>();
        Map<String, List<String>> wastedIn = new HashMap<>();
        List<LayerSummary> summaries = new ArrayList<>();
        long total = 0;
        int wastedFiles = 0;
        for (int index = 0; index < chain.size(); index++) {
            Layer layer = chain.get(index);
            int added = 0, changed = 0, removed = 0;
            List<Path> entries = entries(layer.root());
            for (Path host : entries) {
                String path = layer.root().relativize(host).toString();
                BasicFileAttributes a = Files.readAttributes(host, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
                if (LayerFormat.isWhiteout(host)) {
                    List<Version> gone = hide(visible, path, true, wastedBytes, wastedIn, chain);
                    wastedFiles += (int) gone.stream().filter(v -> !v.directory()).count();
                    if (!gone.isEmpty()) removed++;
                    continue;
                }
                if (a.isDirectory() && LayerFormat.isOpaque(host, rootStore)) {
                    List<Version> gone = hide(visible, path, false, wastedBytes, wastedIn, chain);
                    wastedFiles += (int) gone.stream().filter(v -> !v.directory()).count();
                    removed += gone.isEmpty() ? 0 : 1;
                }
                long size = a.isRegularFile() ? a.size() : 0;
                total += size;
                Version before = visible.get(path);
                if (before == null) {
                    added++;
                } else if (!(before.directory() && a.isDirectory())) {
                    changed++;
                    if (!before.directory()) {
                        waste(path, before, wastedBytes, wastedIn, chain);
                        wastedFiles++;
                    }
                }
                if (before == null || !a.isDirectory()) visible.put(path, new Version(index, size, a.isDirectory()));
            }
            long size = store.info(layer.id()).map(LayerInfo::size).orElse(0L);
            String instruction = store.info(layer.id()).map(LayerInfo::instruction).orElse("?");
            summaries.add(new LayerSummary(layer, instruction, size, added, changed, removed));
        }
        List<WastedPath> wasted = new ArrayList<>();
        long wastedTotal = 0;
        for (Map.Entry<String, long[]> e : wastedBytes.entrySet()) {
            wastedTotal += e.getValue()[0];
            wasted.add(new WastedPath("/" + e.getKey(), e.getValue()[0], (int) e.getValue()[1], wastedIn.get(e.getKey())));
        }
        wasted.sort(Comparator.comparingLong(WastedPath::bytes).reversed().thenComparing(WastedPath::path));
        return new Result(summaries, total, wastedTotal, wastedFiles, wasted);
    }

    /** Removes {@code path} (if {@code self}) and everything below it from the view; records their bytes as wasted. */
    private static List<Version> hide(TreeMap<String, Version> visible, String path, boolean self,
                                      Map<String, long[]> wastedBytes, Map<String, List<String>> wastedIn, List<Layer> chain) {
        List<Version> gone = new ArrayList<>();
        if (self) {
            Version v = visible.remove(path);
            if (v != null) {
                gone.add(v);
                if (!v.directory()) waste(path, v, wastedBytes, wastedIn, chain);
            }
        }
        String prefix = path + "/";
        Iterator<Map.Entry<String, Version>> below = visible.tailMap(prefix, true).entrySet().iterator();
        while (below.hasNext()) {
            Map.Entry<String, Version> e = below.next();
            if (!e.getKey().startsWith(prefix)) break;
            gone.add(e.getValue());
            if (!e.getValue().directory()) waste(e.getKey(), e.getValue(), wastedBytes, wastedIn, chain);
            below.remove();
        }
        return gone;
    }

    private static void waste(String path, Version v, Map<String, long[]> wastedBytes, Map<String, List<String>> wastedIn,
                              List<Layer> chain) {
        long[] sum = wastedBytes.computeIfAbsent(path, k -> new long[2]);
        sum[0] += v.size();
        sum[1]++;
        wastedIn.computeIfAbsent(path, k -> new ArrayList<>()).add(chain.get(v.layer()).shortId());
    }

    /** A layer's entries, parents before children (so an opaque directory is met before what it holds). */
    private static List<Path> entries(Path root) throws IOException {
        if (!Files.isDirectory(root)) return List.of();
        try (Stream<Path> walk = Files.walk(root)) {
            return walk.filter(p -> !p.equals(root)).sorted().toList();
        }
    }
}
