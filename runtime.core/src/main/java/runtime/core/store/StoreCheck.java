package runtime.core.store;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Predicate;
import java.util.stream.Stream;

/**
 * What {@code strata fsck} finds wrong in a store, without changing it: layers that are incomplete or
 * inconsistent (no root directory, unreadable {@code layer.json}, an id that is not the hash of its
 * parent and instruction, a parent that is missing or itself broken), names pointing nowhere, and
 * leftovers in {@code DATA/tmp} that no running strata holds; and (a warning, repaired in place) layers
 * of steps that still hold the mount points older versions left in them ({@link MountStubs}).
 *
 * <p>The store's own writes never produce these (layers appear by one rename, names by one rename); they
 * come from crashes of older versions, disks filling up, or hands in the store. Layers built on a
 * broken one are reported too: they cannot be used without it.
 */
public final class StoreCheck {
    /** One problem: a line for people, and what a repair removes (a layer id, a name, a tmp entry). */
    public record Problem(Kind kind, String subject, String line) {}

    /** STUBS: a sound layer that holds mount points strata made for its binds (older versions kept them). */
    public enum Kind { LAYER, NAME, LEFTOVER, STUBS }

    private static final java.util.regex.Pattern ID = java.util.regex.Pattern.compile("[0-9a-f]{64}");

    private StoreCheck() {}

    /**
     * Checks {@code store}. {@code inUse} tells which DATA/tmp entries a live process still uses beyond
     * their locks (e.g. the changes directory of a {@code strata mount}).
     */
    public static List<Problem> check(ImageStore store, Predicate<Path> inUse) {
        List<Problem> problems = new ArrayList<>();
        Map<String, Optional<String>> parents = new HashMap<>();
        Set<String> broken = new HashSet<>();
        Map<String, String> why = new TreeMap<>();
        for (Path dir : entries(store.layersDirectory())) {
            String id = dir.getFileName().toString();
            if (!ID.matcher(id).matches()) {
                why.put(id, "not a layer id (stray entry in layers/)");
                continue;
            }
            Optional<String> problem = checkLayer(dir, id, parents);
            if (problem.isPresent() && !Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
                // rm, gc and shrink move a layer out whole (one rename into tmp/): one that went while it was
                // read is gone, not broken (CrashIT saw "layer.json unreadable" for a layer removed mid-check).
                parents.remove(id);
                continue;
            }
            problem.ifPresent(p -> why.put(id, p));
        }
        broken.addAll(why.keySet());
        // Parents are resolved once every layer is read: a missing parent makes its child broken.
        for (Map.Entry<String, Optional<String>> e : parents.entrySet()) {
            String parent = e.getValue().orElse(null);
            if (parent != null && !parents.containsKey(parent) && !broken.contains(parent) && !why.containsKey(e.getKey())) {
                why.put(e.getKey(), "parent " + shortId(parent) + " is missing");
                broken.add(e.getKey());
            }
        }
        // Layers built on a broken layer, however deep, go with it.
        boolean grew = true;
        while (grew) {
            grew = false;
            for (Map.Entry<String, Optional<String>> e : parents.entrySet()) {
                String parent = e.getValue().orElse(null);
                if (parent != null && broken.contains(parent) && broken.add(e.getKey())) {
                    why.put(e.getKey(), "built on broken layer " + shortId(parent));
                    grew = true;
                }
            }
        }
        for (Map.Entry<String, String> e : why.entrySet()) {
            problems.add(new Problem(Kind.LAYER, e.getKey(), "layer " + shortId(e.getKey()) + ": " + e.getValue()));
        }
        for (String id : parents.keySet().stream().sorted().toList()) {
            if (!broken.contains(id)) stubs(store, id).ifPresent(problems::add);
        }
        for (Path file : entries(store.mapDirectory())) {
            String name = ImageStore.nameOfFile(file.getFileName().toString());
            if (!ImageStore.isMapName(name)) {
                String raw = file.getFileName().toString();
                problems.add(new Problem(Kind.NAME, raw, "map/" + raw + ": not an image name (a leftover of an interrupted strata map)"));
                continue;
            }
            String id;
            try {
                id = Files.readString(file).strip();
            } catch (IOException e) {
                problems.add(new Problem(Kind.NAME, name, "name " + name + ": unreadable (" + e.getMessage() + ")"));
                continue;
            }
            if (!ID.matcher(id).matches()) {
                problems.add(new Problem(Kind.NAME, name, "name " + name + ": does not hold a layer id"));
            } else if (!parents.containsKey(id)) {
                problems.add(new Problem(Kind.NAME, name, "name " + name + ": points to missing layer " + shortId(id)));
            } else if (broken.contains(id)) {
                problems.add(new Problem(Kind.NAME, name, "name " + name + ": points to broken layer " + shortId(id)));
            }
        }
        for (Path leftover : store.leftovers(inUse)) {
            problems.add(new Problem(Kind.LEFTOVER, leftover.toString(),
                    "leftover " + store.data().relativize(leftover) + " (of an interrupted strata; strata clean removes it)"));
        }
        return problems;
    }

    /** Reads one layer; records its parent link if it has a readable one. Returns what is wrong with it. */
    private static Optional<String> checkLayer(Path dir, String id, Map<String, Optional<String>> parents) {
        if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) return Optional.of("not a directory");
        Optional<String> parent;
        try {
            parent = Optional.of(Files.readString(dir.resolve("parent")).strip());
        } catch (NoSuchFileException e) {
            parent = Optional.empty();
        } catch (IOException e) {
            return Optional.of("parent file unreadable (" + e.getMessage() + ")");
        }
        if (parent.isPresent() && !ID.matcher(parent.get()).matches()) return Optional.of("parent file does not hold a layer id");
        parents.put(id, parent);
        if (!Files.isDirectory(dir.resolve("root"), LinkOption.NOFOLLOW_LINKS)) return Optional.of("root directory missing");
        LayerInfo info;
        try {
            info = Json.MAPPER.readValue(dir.resolve("layer.json").toFile(), LayerInfo.class);
        } catch (IOException e) {
            return Optional.of("layer.json unreadable (" + runtime.core.Errors.oneLine(e) + ")");
        }
        if (!id.equals(info.id())) return Optional.of("layer.json names another id (" + info.id() + ")");
        if (!parent.equals(Optional.ofNullable(info.parent()))) {
            return Optional.of("layer.json's parent " + info.parent() + " is not the parent file's " + parent.orElse("(none)"));
        }
        if (info.instruction() == null || !ImageStore.layerId(parent, info.instruction()).equals(id)) {
            return Optional.of("id is not the hash of its parent and instruction");
        }
        return Optional.empty();
    }

    /** The mount-point stubs in layer {@code id} (see {@link MountStubs}), as a problem, if it has any. */
    private static Optional<Problem> stubs(ImageStore store, String id) {
        try {
            Optional<Layer> layer = store.layer(id);
            if (layer.isEmpty() || layer.get().parent().isEmpty()) return Optional.empty();
            LayerInfo info = Json.MAPPER.readValue(layer.get().directory().resolve("layer.json").toFile(), LayerInfo.class);
            if (!MountStubs.madeByRunning(info.instruction())) return Optional.empty();
            List<String> found = MountStubs.find(layer.get().root(), lowers(store, layer.get()),
                    runtime.core.launch.ContainerPlans.SHARED_HOST_PATHS, store.rootStore());
            if (found.isEmpty()) return Optional.empty();
            return Optional.of(new Problem(Kind.STUBS, id, "layer " + shortId(id) + ": holds the empty mount points "
                    + found.stream().map(f -> "/" + f).collect(java.util.stream.Collectors.joining(", "))
                    + " that strata made for its binds, not its step (strata fsck --repair removes them)"));
        } catch (IOException | RuntimeException e) {
            return Optional.empty(); // unreadable layers are reported as LAYER problems
        }
    }

    /** Removes the mount-point stubs of the layers in {@code problems} (see {@link Kind#STUBS}). */
    public static void removeStubs(ImageStore store, List<Problem> problems) throws IOException {
        for (Problem p : problems) {
            if (p.kind() != Kind.STUBS) continue;
            Optional<Layer> layer = store.layer(p.subject());
            if (layer.isEmpty()) continue;
            MountStubs.remove(layer.get().root(), lowers(store, layer.get()),
                    runtime.core.launch.ContainerPlans.SHARED_HOST_PATHS, store.rootStore());
        }
    }

    private static List<Path> lowers(ImageStore store, Layer layer) {
        List<Layer> chain = store.chain(layer);
        return chain.subList(1, chain.size()).stream().map(Layer::root).toList();
    }

    /** The layers of {@code problems} in an order safe for removal: children before their parents. */
    public static List<String> layersToRemove(ImageStore store, List<Problem> problems) {
        List<String> ids = problems.stream().filter(p -> p.kind() == Kind.LAYER).map(Problem::subject).toList();
        return ImageStore.childrenFirst(ids, store.parents());
    }

    private static List<Path> entries(Path dir) {
        if (!Files.isDirectory(dir)) return List.of();
        try (Stream<Path> s = Files.list(dir)) {
            return s.sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String shortId(String id) {
        return id.substring(0, Math.min(12, id.length()));
    }
}
