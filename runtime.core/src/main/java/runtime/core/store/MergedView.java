package runtime.core.store;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.function.Consumer;

import runtime.api.sys.ErrnoException;
import runtime.api.sys.Posix;

/**
 * An image's merged filesystem, read straight from its layer directories without mounting anything
 * (so it works without privileges, namespaces or a filesystem driver): what overlayfs would show.
 *
 * <p>Lookups go top-down through the layer chain the way overlayfs does: a whiteout (char device 0:0,
 * see {@link LayerFormat}) hides the name in every layer below it; a non-directory hides everything
 * below; a directory merges with the directories of the same name below it until one is opaque (or a
 * lower layer has a non-directory there).
 *
 * <p>Paths are image paths ({@code /etc/passwd}). Symlinks are resolved as the image would see them,
 * with the image's root as {@code /} and {@code ..} stopping there; a layer directory is only ever
 * entered through components that are real directories in that layer, so no symlink (in the image or
 * planted in the store) can lead a lookup out of the image.
 */
public final class MergedView {
    /** Linux's limit on symlinks in one resolution (ELOOP). */
    private static final int MAX_LINKS = 40;

    public enum Type { DIRECTORY, FILE, SYMLINK, OTHER }

    /**
     * One merged entry.
     *
     * @param path   the image path, normalised ("/" for the root)
     * @param layer  the layer the entry comes from (for a directory, the top-most one that has it)
     * @param host   where that layer keeps it on the host (never to be followed if a symlink)
     * @param layers for a directory, every layer merged into it, top first; for others, just {@code layer}
     */
    public record Entry(String path, Type type, long size, int mode, int uid, int gid, long modified, Optional<String> target,
                        Layer layer, Path host, List<Layer> layers) {
        public String name() {
            return path.equals("/") ? "/" : path.substring(path.lastIndexOf('/') + 1);
        }

        public boolean isDirectory() {
            return type == Type.DIRECTORY;
        }
    }

    /** What one layer says about a path: it adds or replaces it, deletes it (whiteout) or makes a directory opaque. */
    public record LayerState(Layer layer, String state, Optional<Type> type, long size) {}

    private final List<Layer> chain;
    private final boolean rootStore;

    /** @param chain the image's layers, top first ({@link ImageStore#chain}); @param rootStore how opaque directories are marked */
    public MergedView(List<Layer> chain, boolean rootStore) {
        if (chain.isEmpty()) throw new IllegalArgumentException("an image has at least one layer");
        this.chain = List.copyOf(chain);
        this.rootStore = rootStore;
    }

    /** The merged filesystem of {@code image} in {@code store}. */
    public static MergedView of(ImageStore store, Layer image) {
        return new MergedView(store.chain(image), store.rootStore());
    }

    public List<Layer> chain() {
        return chain;
    }

    /** The root directory. */
    public Entry root() throws IOException {
        List<Layer> layers = new ArrayList<>();
        for (Layer l : chain) {
            layers.add(l);
            if (opaque(l.root())) break;
        }
        return entry("/", layers.getFirst(), layers.getFirst().root(), layers);
    }

    /**
     * The entry at {@code path} (relative paths start at {@code cwd}), following symlinks on the way
     * and, when {@code followLast}, in the last component too. Empty when nothing is there.
     */
    public Optional<Entry> find(String cwd, String path, boolean followLast) throws IOException {
        Deque<String> todo = new ArrayDeque<>(components(path.startsWith("/") ? path : cwd + "/" + path));
        List<Entry> stack = new ArrayList<>();
        stack.add(root());
        int links = 0;
        while (!todo.isEmpty()) {
            String c = todo.removeFirst();
            if (c.equals(".")) continue;
            if (c.equals("..")) {
                if (stack.size() > 1) stack.removeLast();
                continue;
            }
            Entry dir = stack.getLast();
            if (!dir.isDirectory()) throw new IOException(dir.path() + ": not a directory");
            Optional<Entry> child = child(dir, c);
            if (child.isEmpty()) return Optional.empty();
            Entry e = child.get();
            if (e.type() == Type.SYMLINK && (!todo.isEmpty() || followLast)) {
                if (++links > MAX_LINKS) throw new IOException(path + ": too many levels of symbolic links");
                String target = e.target().orElse("");
                List<String> next = components(target);
                for (int i = next.size() - 1; i >= 0; i--) todo.addFirst(next.get(i));
                if (target.startsWith("/")) stack.subList(1, stack.size()).clear();
                continue;
            }
            stack.add(e);
        }
        return Optional.of(stack.getLast());
    }

    /** Like {@link #find} but a missing entry is a {@link NoSuchFileException} naming {@code path}. */
    public Entry get(String cwd, String path, boolean followLast) throws IOException {
        return find(cwd, path, followLast).orElseThrow(() -> new NoSuchFileException(path));
    }

    /** A directory's merged entries, sorted by name. */
    public List<Entry> list(Entry dir) throws IOException {
        if (!dir.isDirectory()) throw new IOException(dir.path() + ": not a directory");
        TreeSet<String> names = new TreeSet<>();
        for (Layer l : dir.layers()) {
            Path d = hostPath(l, dir.path());
            try (var s = Files.list(d)) {
                s.forEach(p -> names.add(p.getFileName().toString()));
            } catch (NoSuchFileException e) {
                // this layer has no such directory
            }
        }
        List<Entry> result = new ArrayList<>();
        for (String name : names) child(dir, name).ifPresent(result::add);
        return result;
    }

    /** Every entry below {@code dir} (not following symlinks), parents before children, in name order. */
    public void walk(Entry dir, Consumer<Entry> visitor) throws IOException {
        for (Entry e : list(dir)) {
            if (Thread.currentThread().isInterrupted()) throw new java.io.InterruptedIOException("interrupted");
            visitor.accept(e);
            if (e.isDirectory()) walk(e, visitor);
        }
    }

    /** Bytes of regular files below (and including) {@code entry}, as the merged image shows them. */
    public long diskUsage(Entry entry) throws IOException {
        if (!entry.isDirectory()) return entry.type() == Type.FILE ? entry.size() : 0;
        long[] total = {0};
        walk(entry, e -> {
            if (e.type() == Type.FILE) total[0] += e.size();
        });
        return total[0];
    }

    /** A regular file's content. */
    public InputStream open(Entry file) throws IOException {
        if (file.type() == Type.DIRECTORY) throw new IOException(file.path() + ": is a directory");
        if (file.type() != Type.FILE) throw new IOException(file.path() + ": not a regular file");
        return Files.newInputStream(file.host(), LinkOption.NOFOLLOW_LINKS);
    }

    /**
     * What each layer of the chain, bottom first, has at {@code path} (a normalised image path, symlinks
     * not followed): only layers that say something about it are listed.
     */
    public List<LayerState> history(String path) throws IOException {
        List<String> parts = components(path);
        List<LayerState> result = new ArrayList<>();
        for (Layer l : chain.reversed()) {
            Path p = l.root();
            boolean reachable = true;
            for (int i = 0; i < parts.size() - 1 && reachable; i++) {
                p = p.resolve(parts.get(i));
                reachable = Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS);
            }
            if (!reachable) continue;
            if (!parts.isEmpty()) p = p.resolve(parts.getLast());
            if (!Files.exists(p, LinkOption.NOFOLLOW_LINKS)) continue;
            if (LayerFormat.isWhiteout(p)) {
                result.add(new LayerState(l, "deleted", Optional.empty(), 0));
                continue;
            }
            Entry e = entry(normalise(path), l, p, List.of(l));
            String state = result.isEmpty() || result.getLast().state().equals("deleted") ? "added" : "changed";
            if (e.isDirectory() && opaque(p)) state = state + " (opaque: hides lower layers)";
            result.add(new LayerState(l, state, Optional.of(e.type()), e.size()));
        }
        return result;
    }

    /** A change between two views. */
    public record Change(char kind, String path) {}

    /** Added ({@code A}), changed ({@code C}) and deleted ({@code D}) paths from {@code from} to {@code to}, sorted by path. */
    public static List<Change> diff(MergedView from, MergedView to) throws IOException {
        Map<String, Entry> a = new LinkedHashMap<>();
        Map<String, Entry> b = new LinkedHashMap<>();
        from.walk(from.root(), e -> a.put(e.path(), e));
        to.walk(to.root(), e -> b.put(e.path(), e));
        TreeSet<String> all = new TreeSet<>(a.keySet());
        all.addAll(b.keySet());
        List<Change> changes = new ArrayList<>();
        for (String p : all) {
            Entry x = a.get(p);
            Entry y = b.get(p);
            if (x == null) changes.add(new Change('A', p));
            else if (y == null) changes.add(new Change('D', p));
            else if (differs(x, y)) changes.add(new Change('C', p));
        }
        return changes;
    }

    private static boolean differs(Entry x, Entry y) throws IOException {
        if (x.type() != y.type() || x.mode() != y.mode() || x.uid() != y.uid() || x.gid() != y.gid()) return true;
        return switch (x.type()) {
            case DIRECTORY -> false; // its content is compared entry by entry
            case SYMLINK -> !x.target().equals(y.target());
            case FILE -> !x.host().equals(y.host()) && (x.size() != y.size() || Files.mismatch(x.host(), y.host()) >= 0);
            case OTHER -> !x.host().equals(y.host()) && x.size() != y.size();
        };
    }

    /** The merged child {@code name} of a merged directory, if any layer has it and no whiteout hides it. */
    private Optional<Entry> child(Entry dir, String name) throws IOException {
        String path = dir.path().equals("/") ? "/" + name : dir.path() + "/" + name;
        Entry top = null;
        List<Layer> merged = new ArrayList<>();
        for (Layer l : dir.layers()) {
            Path p = hostPath(l, dir.path()).resolve(name);
            if (!Files.exists(p, LinkOption.NOFOLLOW_LINKS)) continue;
            if (LayerFormat.isWhiteout(p)) break; // deleted here: hides every layer below
            boolean isDir = Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS);
            if (top == null) {
                if (!isDir) return Optional.of(entry(path, l, p, List.of(l)));
                top = entry(path, l, p, List.of());
            } else if (!isDir) {
                break; // a lower non-directory under a directory is hidden, and so is all below it
            }
            merged.add(l);
            if (opaque(p)) break;
        }
        if (top == null) return Optional.empty();
        return Optional.of(new Entry(top.path(), top.type(), top.size(), top.mode(), top.uid(), top.gid(), top.modified(),
                top.target(), top.layer(), top.host(), List.copyOf(merged)));
    }

    /** The directory {@code path} inside layer {@code l}; reached only through real directories (see child()). */
    private static Path hostPath(Layer l, String path) {
        Path p = l.root();
        for (String c : components(path)) p = p.resolve(c);
        return p;
    }

    private static Entry entry(String path, Layer layer, Path host, List<Layer> layers) throws IOException {
        Map<String, Object> a = Files.readAttributes(host, "unix:mode,uid,gid,size,lastModifiedTime", LinkOption.NOFOLLOW_LINKS);
        int mode = (Integer) a.get("mode");
        Type type = switch (mode & 0170000) {
            case 0040000 -> Type.DIRECTORY;
            case 0100000 -> Type.FILE;
            case 0120000 -> Type.SYMLINK;
            default -> Type.OTHER;
        };
        Optional<String> target = type == Type.SYMLINK ? Optional.of(Files.readSymbolicLink(host).toString()) : Optional.empty();
        return new Entry(path, type, (Long) a.get("size"), mode & 07777, (Integer) a.get("uid"), (Integer) a.get("gid"),
                ((java.nio.file.attribute.FileTime) a.get("lastModifiedTime")).toMillis(), target, layer, host, layers);
    }

    private boolean opaque(Path dir) throws IOException {
        try {
            byte[] v = Posix.getxattr(dir.toString(), LayerFormat.opaqueAttribute(rootStore));
            return v != null && v.length == 1 && v[0] == 'y';
        } catch (ErrnoException e) {
            // EPERM/EACCES: an attribute namespace we may not read (trusted.* as a user) cannot mark it for us
            if (e.errno() == 1 || e.errno() == 13) return false;
            throw new IOException(e.getMessage(), e);
        }
    }

    /** The non-empty components of a path, "." and ".." kept (resolution gives them meaning). */
    static List<String> components(String path) {
        List<String> parts = new ArrayList<>();
        for (String c : path.split("/")) if (!c.isEmpty()) parts.add(c);
        return parts;
    }

    /** {@code path} made absolute and lexically normalised ({@code ..} stops at the root); no symlinks involved. */
    public static String normalise(String path) {
        Deque<String> out = new ArrayDeque<>();
        for (String c : components(path)) {
            if (c.equals(".")) continue;
            if (c.equals("..")) {
                out.pollLast();
            } else {
                out.addLast(c);
            }
        }
        return "/" + String.join("/", out);
    }
}
