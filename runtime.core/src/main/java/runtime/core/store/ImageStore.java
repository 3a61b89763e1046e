package runtime.core.store;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;


/**
 * The layered image store.
 *
 * <pre>
 * DATA/layers/ID/root         the layer's files
 * DATA/layers/ID/parent       the parent layer's id (absent for a base layer)
 * DATA/layers/ID/layer.json   {@link LayerInfo}
 * DATA/map/NAME               the id a name points to (plash's "map"), replaced by atomic rename
 * DATA/tmp/                   layers being made, renamed into layers/ when complete; layers being
 *                             removed, renamed here first; each entry NAME held by NAME.lock
 * DATA/mnt/                   an empty directory containers mount their scratch tmpfs on
 * </pre>
 *
 * A layer's id is the SHA-256 of its parent's id and its instruction (the build cache key), so the same
 * step on the same parent always names the same layer. A layer appears in {@code layers/} by one atomic
 * rename, complete or not at all; a crash leaves at most a directory in {@code tmp/}.
 */
public final class ImageStore implements AutoCloseable {
    private final Path data;
    /** This store user's staging directories (an Engine's, so one invocation's). */
    private final StagingCleanup unfinished = new StagingCleanup();
    private final boolean asRoot;
    private volatile TarExtractor.Limits limits = TarExtractor.Limits.DEFAULT;

    public ImageStore(Path data, boolean asRoot) {
        this.data = data.toAbsolutePath().normalize();
        this.asRoot = asRoot;
    }

    /**
     * The store's location: {@code $STRATA_DATA}, else /var/lib/strata for root, else
     * {@code $XDG_DATA_HOME/strata}, else {@code ~/.local/share/strata}.
     */
    public static Path defaultLocation(Map<String, String> env, boolean root) {
        String explicit = env.get("STRATA_DATA");
        if (explicit != null && !explicit.isEmpty()) return Path.of(explicit);
        if (root) return Path.of("/var/lib/strata");
        String xdg = env.get("XDG_DATA_HOME");
        if (xdg != null && !xdg.isEmpty()) return Path.of(xdg, "strata");
        return Path.of(System.getProperty("user.home"), ".local", "share", "strata");
    }

    public Path data() {
        return data;
    }

    /** Whether root writes this store (its opaque directories carry trusted.* rather than user.* attributes). */
    public boolean rootStore() {
        return asRoot;
    }

    /** What an imported layer may unpack to (see {@link TarExtractor.Limits}). */
    public TarExtractor.Limits limits() {
        return limits;
    }

    public void limits(TarExtractor.Limits limits) {
        this.limits = java.util.Objects.requireNonNull(limits);
    }

    public Path layersDirectory() {
        return data.resolve("layers");
    }

    /** The directory a container's scratch tmpfs is mounted on, inside its own mount namespace. */
    public Path mountScratch() throws IOException {
        Path mnt = data.resolve("mnt");
        Files.createDirectories(mnt);
        return mnt;
    }

    /**
     * The layer that {@code instruction} made on {@code parent}, if the store has it: a build step's cache
     * lookup. The parent's index of its children ({@link #CHILDREN}) answers first, so a cache hit computes no
     * SHA-256 (on a cold JVM the JDK's provider lookup alone is ~10 ms, most of a fully cached build). An index
     * entry counts only when its layer exists and names this parent; without one (a store made before the
     * index, an append lost in a crash) the id is computed as always, and the entry is added for next time.
     */
    public Optional<Layer> child(Layer parent, String instruction) {
        String key = childKey(instruction);
        Path index = parent.directory().resolve(CHILDREN);
        try {
            if (Files.exists(index)) {
                for (String line : Files.readAllLines(index, StandardCharsets.US_ASCII)) {
                    if (line.length() != 65 + key.length() || line.charAt(64) != ' ' || !line.endsWith(key)) continue;
                    Optional<Layer> indexed = layer(line.substring(0, 64));
                    if (indexed.isPresent() && indexed.get().parent().equals(Optional.of(parent.id()))) return indexed;
                }
            }
        } catch (IOException | UncheckedIOException e) {
            // an unreadable index (or not ASCII) is no index: compute the id
        }
        Optional<Layer> found = layer(layerId(Optional.of(parent.id()), instruction));
        if (found.isPresent()) indexChild(parent.directory(), found.get().id(), instruction);
        return found;
    }

    /**
     * {@code DATA/layers/PARENT/children}: a line "ID BASE64(INSTRUCTION)" per child layer, appended when the
     * child is committed (one small O_APPEND write, so concurrent builds do not interleave lines). Only an
     * index: entries are checked against the layers, and it may lack or repeat some.
     */
    static final String CHILDREN = "children";

    private static String childKey(String instruction) {
        return java.util.Base64.getEncoder().encodeToString(instruction.getBytes(StandardCharsets.UTF_8));
    }

    private static void indexChild(Path parentDirectory, String id, String instruction) {
        try {
            Files.write(parentDirectory.resolve(CHILDREN), (id + " " + childKey(instruction) + "\n").getBytes(StandardCharsets.US_ASCII),
                    StandardOpenOption.CREATE, StandardOpenOption.APPEND, StandardOpenOption.WRITE);
        } catch (IOException | UncheckedIOException e) {
            // a store another user owns, a full disk: lookups compute the id instead
        }
    }

    public static String layerId(Optional<String> parent, String instruction) {
        return sha256Hex((parent.orElse("") + "\n" + instruction).getBytes(StandardCharsets.UTF_8));
    }

    public Optional<Layer> layer(String id) {
        Path dir = layersDirectory().resolve(id);
        if (!Files.isDirectory(dir.resolve("root"), LinkOption.NOFOLLOW_LINKS)) return Optional.empty();
        return Optional.of(new Layer(id, readParent(dir), dir));
    }

    private static Optional<String> readParent(Path dir) {
        try {
            return Optional.of(Files.readString(dir.resolve("parent")).trim());
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Finds an image by map name (see {@link #map}), full id or unique id prefix (at least 4
     * characters), in that order. The error says what exists.
     */
    public Layer resolve(String reference) {
        if (reference.isEmpty()) throw new StoreException("no image given");
        // A name wins over an id prefix: names are what people type, and may look like hex.
        if (isMapName(reference)) {
            Optional<String> named = mapped(reference);
            if (named.isPresent()) {
                // Not orElseThrow(lambda): the AOT caches are trained on an id prefix, so a lambda here would be
                // a class spun on every cold run by name.
                Optional<Layer> layer = layer(named.get());
                if (layer.isPresent()) return layer.get();
                throw new StoreException("image name '" + reference + "' points to missing layer " + named.get().substring(0, 12));
            }
        }
        if (reference.length() == 64) {
            Optional<Layer> exact = layer(reference);
            if (exact.isPresent()) return exact.get();
        }
        if (reference.length() >= 4 && isHex(reference)) {
            // Plain loops: on a cold start each lambda or stream stage of this lookup costs a spun class.
            List<String> matches = new ArrayList<>();
            Path dir = layersDirectory();
            if (Files.isDirectory(dir)) {
                try (DirectoryStream<Path> ids = Files.newDirectoryStream(dir)) {
                    for (Path p : ids) {
                        String id = p.getFileName().toString();
                        if (id.length() == 64 && id.startsWith(reference)) matches.add(id);
                    }
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
            if (matches.size() == 1) {
                return layer(matches.getFirst()).orElseThrow();
            }
            if (matches.size() > 1) {
                throw new StoreException("image id '" + reference + "' is ambiguous: " + matches.size() + " images start with it");
            }
        }
        throw new StoreException("no image '" + reference + "' (strata images lists them)");
    }

    private static boolean isHex(String s) {
        for (int i = 0; i < s.length(); i++) {
            if (Character.digit(s.charAt(i), 16) < 0) return false;
        }
        return true;
    }

    private Stream<Path> listLayerDirectories() {
        Path dir = layersDirectory();
        if (!Files.isDirectory(dir)) return Stream.empty();
        try {
            return Files.list(dir).filter(p -> p.getFileName().toString().length() == 64);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The layer and its ancestors, top-most first. */
    public List<Layer> chain(Layer top) {
        List<Layer> chain = new ArrayList<>();
        Layer current = top;
        while (true) {
            chain.add(current);
            if (chain.size() > 4096) throw new StoreException("layer chain of " + top.id() + " loops");
            if (current.parent().isEmpty()) return chain;
            String parentId = current.parent().get();
            current = layer(parentId).orElseThrow(() ->
                    new StoreException("layer " + parentId + " (parent of " + top.shortId() + ") is missing: run strata fsck"));
        }
    }

    public List<LayerInfo> list() {
        List<LayerInfo> all = new ArrayList<>();
        try (Stream<Path> ids = listLayerDirectories()) {
            ids.forEach(dir -> info(dir.getFileName().toString()).ifPresent(all::add));
        }
        all.sort((a, b) -> a.created().compareTo(b.created()));
        return all;
    }

    public Optional<LayerInfo> info(String id) {
        Path file = layersDirectory().resolve(id).resolve("layer.json");
        try {
            return Optional.of(Json.MAPPER.readValue(file.toFile(), LayerInfo.class));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /**
     * Imports a (possibly compressed) tar stream as a base layer and returns it. The layer is keyed by
     * the SHA-256 of the stream's bytes: importing the same archive twice yields the same image.
     */
    public Layer importTar(InputStream raw, String source) throws IOException {
        MessageDigest digest = runtime.api.sys.Sha256.newDigest();
        Path staging = newStaging();
        try {
            Path root = staging.resolve("root");
            Files.createDirectory(root);
            TarExtractor extractor = new TarExtractor(root, asRoot, limits);
            DigestInputStream hashed = new DigestInputStream(raw, digest);
            try (InputStream decompressed = Decompress.open(hashed); ReadAhead in = new ReadAhead(decompressed)) {
                extractor.extract(in);
                in.close(); // the reader thread stops here: the raw stream is ours again
                // Hash the trailing padding too (the key is the whole file), from the raw bytes: decompressing
                // a trailer could expand without bound past the extractor's limits.
                hashed.transferTo(java.io.OutputStream.nullOutputStream());
            } catch (StoreException e) {
                throw new StoreException("cannot import " + source + ": " + e.getMessage(), e);
            } catch (java.io.EOFException e) {
                // GZIP's "Unexpected end of ZLIB input stream" and the like: the bytes stop before the archive does.
                throw new StoreException("cannot import " + source + ": the archive ends early (a cut file or download?)", e);
            } catch (IOException e) {
                throw new StoreException("cannot import " + source + ": " + oneLine(e), e);
            }
            if (extractor.entries() == 0) throw new StoreException("cannot import " + source + ": not a tar archive (no entries)");
            String instruction = "import-tar sha256:" + HexFormat.of().formatHex(digest.digest());
            // The extractor counted the size as it wrote: walking a large tree again would cost a stat per file.
            return commit(staging, Optional.empty(), instruction, false, extractor.size());
        } finally {
            discard(staging);
        }
    }

    private static String oneLine(IOException e) {
        return runtime.core.Errors.oneLine(e);
    }

    /** Removes the staging directories of this store object that were neither committed nor discarded. */
    @Override
    public void close() {
        unfinished.removeAll();
    }

    /** A fresh directory under tmp/, removed by {@link #close} or on exit if it was not committed. */
    public Path newStaging() throws IOException {
        // Locked while we fill it (see TmpDirectories), so a concurrent strata clean leaves it alone.
        Path staging = TmpDirectories.create(tmpDirectory(), "layer-");
        // Owner only, and so every layer (the staging directory becomes DATA/layers/ID): an image's setuid
        // programs and device nodes must not be reachable by other host users through the store.
        Files.setPosixFilePermissions(staging, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
        unfinished.register(staging);
        return staging;
    }

    public void discard(Path staging) throws IOException {
        try {
            Trees.deleteRecursively(staging);
        } finally {
            unfinished.unregister(staging);
            TmpDirectories.release(staging);
        }
    }

    /**
     * Makes {@code staging} (holding {@code root/}) the layer for {@code instruction} on {@code parent}.
     * If that layer exists already (a cache hit or a concurrent twin), the existing one wins.
     */
    public Layer commit(Path staging, Optional<String> parent, String instruction) throws IOException {
        return commit(staging, parent, instruction, false);
    }

    /**
     * Like {@link #commit(Path, Optional, String)}; with {@code replace}, an existing layer of the same id
     * is swapped for the new one atomically (a rebuild with --no-cache), and the old content discarded.
     */
    public Layer commit(Path staging, Optional<String> parent, String instruction, boolean replace) throws IOException {
        return commit(staging, parent, instruction, replace, -1);
    }

    /** {@code size}: the bytes of the layer's regular files if known, else -1 (then they are counted). */
    private Layer commit(Path staging, Optional<String> parent, String instruction, boolean replace, long size) throws IOException {
        String id = layerId(parent, instruction);
        Optional<Layer> existing = layer(id);
        if (existing.isPresent() && !replace) return existing.get();
        if (parent.isPresent()) {
            Files.writeString(staging.resolve("parent"), parent.get() + "\n");
        }
        LayerInfo info = new LayerInfo(id, parent.orElse(null), instruction, Timestamps.now(),
                size >= 0 ? size : Trees.size(staging.resolve("root")));
        Files.writeString(staging.resolve("layer.json"), info.toJson()); // UTF-8, as Jackson writes it
        PrivateDirectory.restrict(layersDirectory()); // image files (setuid ones, devices) reachable by nobody else
        Path target = layersDirectory().resolve(id);
        if (existing.isPresent()) {
            try {
                runtime.api.sys.Posix.renameExchange(staging.toString(), target.toString());
            } catch (runtime.api.sys.ErrnoException e) {
                throw new StoreException("cannot replace layer " + id + ": " + e.getMessage(), e);
            }
            return layer(id).orElseThrow(); // staging now holds the old layer; the caller discards it
        }
        try {
            Files.move(staging, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (FileAlreadyExistsException | DirectoryNotEmptyException e) {
            // A concurrent build made the same layer first; ours is discarded by the caller.
        } catch (AtomicMoveNotSupportedException e) {
            throw new StoreException("store directory " + data + " must be on one filesystem", e);
        }
        unfinished.unregister(staging);
        if (!Files.exists(staging)) TmpDirectories.release(staging); // moved: nothing left to guard
        if (parent.isPresent()) indexChild(layersDirectory().resolve(parent.get()), id, instruction);
        return layer(id).orElseThrow(() -> new StoreException("layer " + id + " vanished after commit"));
    }

    /**
     * Serialises the making of one layer across processes (an exclusive lock on DATA/locks/ID.lock), so
     * that concurrent builds of the same step produce it once: the second waits, then finds it made.
     */
    public AutoCloseable lock(String id) throws IOException {
        Path dir = data.resolve("locks");
        Files.createDirectories(dir);
        return ExclusiveLock.acquire(dir.resolve(id + ".lock"));
    }

    /**
     * The JDK's digest. Measured and not kept: BouncyCastle's SHA256Digest skips the JCA provider lookup
     * (~5 ms of a cold cached build), but its first class from the signed jar costs the JVM ~25 ms at start.
     */
    static String sha256Hex(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Reads the image's root shell from its /etc/passwd, top layer first; /bin/sh when absent. */
    public String rootShell(List<Layer> chain) {
        for (Layer layer : chain) {
            Path passwd = layer.root().resolve("etc/passwd");
            if (Files.isRegularFile(passwd, LinkOption.NOFOLLOW_LINKS)) {
                try (Stream<String> lines = Files.lines(passwd)) {
                    return lines.map(l -> l.split(":", -1))
                            .filter(f -> f.length >= 7 && f[2].equals("0") && !f[6].isBlank())
                            .map(f -> f[6]).findFirst().orElse("/bin/sh");
                } catch (IOException | UncheckedIOException e) {
                    return "/bin/sh";
                }
            }
        }
        return "/bin/sh";
    }

    // ---- names, layer graph and removal (strata map, rm, gc, purge, clean) ----

    /**
     * Names people give (strata map) and names pulls record (an OCI reference as podman shows it:
     * {@code localhost:5000/app:1}, {@code alpine@sha256:...}).
     */
    private static final java.util.regex.Pattern MAP_NAME =
            java.util.regex.Pattern.compile("[A-Za-z0-9](?:[A-Za-z0-9._:@+-]|/(?=[A-Za-z0-9._-])){0,199}");

    public Path tmpDirectory() {
        return data.resolve("tmp");
    }

    public Path mapDirectory() {
        return data.resolve("map");
    }

    /**
     * The file under map/ holding {@code name}: '/' (of a reference's repository path) is stored as '%',
     * which no name contains, so each name has one file and each file one name.
     */
    public Path nameFile(String name) {
        return mapDirectory().resolve(name.replace('/', '%'));
    }

    /** The name a file under map/ holds (see {@link #nameFile}); not necessarily a valid one. */
    public static String nameOfFile(String fileName) {
        return fileName.replace('%', '/');
    }

    /**
     * Whether {@code name} may name an image: {@code [A-Za-z0-9][A-Za-z0-9._:@+-/]*}, at most 200 characters,
     * a '/' only between path components.
     */
    public static boolean isMapName(String name) {
        return MAP_NAME.matcher(name).matches();
    }

    /** Throws a {@link StoreException} explaining the naming rules unless {@link #isMapName}. */
    public static void checkMapName(String name) {
        if (!isMapName(name)) {
            throw new StoreException("invalid image name '" + name
                    + "': use letters, digits and . _ - : @ + /, starting with a letter or digit");
        }
    }

    /**
     * Points {@code name} at layer {@code id}, or removes the name when {@code id} is empty (removing a
     * name that does not exist is fine). The file is replaced by an atomic rename, so readers see the
     * old id or the new one, never a partial file.
     */
    public void map(String name, Optional<String> id) {
        checkMapName(name);
        Path file = nameFile(name);
        try {
            if (id.isEmpty()) {
                Files.deleteIfExists(file);
                return;
            }
            if (layer(id.get()).isEmpty()) throw new StoreException("no layer " + id.get() + " to name '" + name + "'");
            Files.createDirectories(mapDirectory());
            // A leading dot keeps the temp file out of maps(): it is not a valid name.
            Path temp = Files.createTempFile(mapDirectory(), "." + file.getFileName() + "-", ".tmp");
            try {
                Files.writeString(temp, id.get() + "\n");
                Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } finally {
                Files.deleteIfExists(temp);
            }
        } catch (IOException e) {
            throw new StoreException("cannot write image name '" + name + "': " + oneLine(e), e);
        }
    }

    /** The layer id {@code name} points to, if it is set. */
    public Optional<String> mapped(String name) {
        checkMapName(name);
        try {
            String id = Files.readString(nameFile(name)).trim();
            return id.isEmpty() ? Optional.empty() : Optional.of(id);
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw new StoreException("cannot read image name '" + name + "': " + oneLine(e), e);
        }
    }

    /** Every name and the layer id it points to, sorted by name. */
    public Map<String, String> maps() {
        Map<String, String> result = new java.util.TreeMap<>();
        if (!Files.isDirectory(mapDirectory())) return result;
        try (Stream<Path> files = Files.list(mapDirectory())) {
            files.map(p -> nameOfFile(p.getFileName().toString())).filter(ImageStore::isMapName)
                    .forEach(name -> mapped(name).ifPresent(id -> result.put(name, id)));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return result;
    }

    /** Every layer's parent id (empty for a base layer), from the plain parent files. */
    public Map<String, Optional<String>> parents() {
        Map<String, Optional<String>> result = new java.util.HashMap<>();
        try (Stream<Path> dirs = listLayerDirectories()) {
            dirs.filter(d -> Files.isDirectory(d.resolve("root"), LinkOption.NOFOLLOW_LINKS))
                    .forEach(d -> result.put(d.getFileName().toString(), readParent(d)));
        }
        return result;
    }

    /** {@code id} and every layer whose chain includes it, children before their parents. */
    public List<String> withDescendants(String id) {
        Map<String, Optional<String>> parents = parents();
        java.util.Set<String> selected = new java.util.HashSet<>();
        for (String candidate : parents.keySet()) {
            if (ancestry(candidate, parents).contains(id)) selected.add(candidate);
        }
        return childrenFirst(selected, parents);
    }

    /** Layers neither named by a map entry nor an ancestor of a named layer, children first. */
    public List<String> unreachable() {
        Map<String, Optional<String>> parents = parents();
        java.util.Set<String> keep = new java.util.HashSet<>();
        for (String id : maps().values()) {
            if (parents.containsKey(id)) keep.addAll(ancestry(id, parents));
        }
        java.util.Set<String> gone = new java.util.HashSet<>(parents.keySet());
        gone.removeAll(keep);
        return childrenFirst(gone, parents);
    }

    /**
     * What plash's shrink removes: the older half of all layers (half rounded up), each time the oldest
     * layer that no other remaining layer builds on. Names are no protection, as in plash.
     */
    public List<String> olderHalf() {
        Map<String, Optional<String>> parents = parents();
        List<String> oldestFirst = list().stream().map(LayerInfo::id).filter(parents::containsKey).toList();
        java.util.Set<String> remaining = new java.util.LinkedHashSet<>(oldestFirst);
        List<String> removed = new ArrayList<>();
        for (int left = (remaining.size() + 1) / 2; left > 0; left--) {
            Optional<String> leaf = remaining.stream()
                    .filter(id -> remaining.stream().noneMatch(other -> parents.get(other).filter(id::equals).isPresent()))
                    .findFirst();
            if (leaf.isEmpty()) break;
            remaining.remove(leaf.get());
            removed.add(leaf.get());
        }
        return removed;
    }

    /** {@code id} and its ancestors present in {@code parents} (stops at a missing one or a loop). */
    private static List<String> ancestry(String id, Map<String, Optional<String>> parents) {
        List<String> chain = new ArrayList<>();
        String current = id;
        while (current != null && parents.containsKey(current) && !chain.contains(current) && chain.size() <= 4096) {
            chain.add(current);
            current = parents.get(current).orElse(null);
        }
        return chain;
    }

    /** Deepest layers first, so that removing them in order never leaves a layer without its parent. */
    static List<String> childrenFirst(java.util.Collection<String> ids, Map<String, Optional<String>> parents) {
        List<String> sorted = new ArrayList<>(ids);
        Map<String, Integer> depth = new java.util.HashMap<>();
        for (String id : sorted) depth.put(id, ancestry(id, parents).size());
        sorted.sort(java.util.Comparator.<String>comparingInt(depth::get).reversed().thenComparing(x -> x));
        return sorted;
    }

    /**
     * Takes layers out of the store for deletion: first the names pointing at them are removed, then
     * each layer directory is renamed (atomically, children first) to a locked {@code tmp/rm-ID-RANDOM}.
     * After a crash the store is consistent and the rest is a leftover for {@code strata clean}.
     * Returns the directories the caller must delete and then {@link TmpDirectories#release}.
     */
    public List<Path> detach(List<String> ids) throws IOException {
        java.util.Set<String> doomed = new java.util.HashSet<>(ids);
        for (Map.Entry<String, String> e : maps().entrySet()) {
            if (doomed.contains(e.getValue())) map(e.getKey(), Optional.empty());
        }
        List<Path> moved = new ArrayList<>();
        for (String id : ids) {
            Path target = TmpDirectories.reserve(tmpDirectory(), "rm-" + id.substring(0, Math.min(12, id.length())) + "-");
            try {
                Files.move(layersDirectory().resolve(id), target, StandardCopyOption.ATOMIC_MOVE);
                moved.add(target);
            } catch (NoSuchFileException e) {
                TmpDirectories.release(target); // removed concurrently
            }
        }
        return moved;
    }

    /**
     * Takes everything out of the store for {@code strata purge}: the layers and map directories are
     * renamed into {@code tmp/} (two atomic renames) and returned for deletion like {@link #detach}.
     */
    public List<Path> detachAll() throws IOException {
        List<Path> moved = new ArrayList<>();
        for (Path dir : List.of(mapDirectory(), layersDirectory())) {
            if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) continue;
            Path target = TmpDirectories.reserve(tmpDirectory(), "purge-" + dir.getFileName() + "-");
            try {
                Files.move(dir, target, StandardCopyOption.ATOMIC_MOVE);
                moved.add(target);
            } catch (NoSuchFileException e) {
                TmpDirectories.release(target);
            }
        }
        return moved;
    }

    /**
     * Entries of {@code tmp/} that no running strata process uses: not held by their lock (see
     * {@link TmpDirectories}) and not claimed by {@code alsoInUse} (e.g. the changes directory of a
     * mount). Stray lock files whose directory is gone are included.
     */
    public List<Path> leftovers(java.util.function.Predicate<Path> alsoInUse) {
        List<Path> result = new ArrayList<>();
        if (!Files.isDirectory(tmpDirectory())) return result;
        try (Stream<Path> entries = Files.list(tmpDirectory())) {
            for (Path entry : entries.sorted().toList()) {
                String name = entry.getFileName().toString();
                if (name.endsWith(".lock")) {
                    Path dir = entry.resolveSibling(name.substring(0, name.length() - ".lock".length()));
                    if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS) && !TmpDirectories.inUse(dir)) result.add(entry);
                } else if (!TmpDirectories.inUse(entry) && !alsoInUse.test(entry)) {
                    result.add(entry);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return result;
    }
}
