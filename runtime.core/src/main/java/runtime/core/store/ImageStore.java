package runtime.core.store;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
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
 * DATA/tmp/                   layers being made; renamed into layers/ when complete
 * DATA/mnt/                   an empty directory containers mount their scratch tmpfs on
 * </pre>
 *
 * A layer's id is the SHA-256 of its parent's id and its instruction (the build cache key), so the same
 * step on the same parent always names the same layer. A layer appears in {@code layers/} by one atomic
 * rename, complete or not at all; a crash leaves at most a directory in {@code tmp/}.
 */
public final class ImageStore {
    private final Path data;
    private final boolean asRoot;

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

    public Path layersDirectory() {
        return data.resolve("layers");
    }

    /** The directory a container's scratch tmpfs is mounted on, inside its own mount namespace. */
    public Path mountScratch() throws IOException {
        Path mnt = data.resolve("mnt");
        Files.createDirectories(mnt);
        return mnt;
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
     * Finds an image by full id or unique id prefix (at least 4 characters). The error says what exists.
     */
    public Layer resolve(String reference) {
        if (reference.isEmpty()) throw new StoreException("no image given");
        if (reference.length() == 64) {
            Optional<Layer> exact = layer(reference);
            if (exact.isPresent()) return exact.get();
        }
        if (reference.length() >= 4 && reference.chars().allMatch(c -> Character.digit(c, 16) >= 0)) {
            List<String> matches = new ArrayList<>();
            try (Stream<Path> ids = listLayerDirectories()) {
                ids.map(p -> p.getFileName().toString()).filter(id -> id.startsWith(reference)).forEach(matches::add);
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
        MessageDigest digest = sha256();
        Path staging = newStaging();
        try {
            Path root = staging.resolve("root");
            Files.createDirectory(root);
            TarExtractor extractor = new TarExtractor(root, asRoot);
            try (InputStream in = Decompress.open(new DigestInputStream(raw, digest))) {
                extractor.extract(in);
                in.transferTo(java.io.OutputStream.nullOutputStream()); // hash trailing padding too: the key is the whole file
            } catch (StoreException e) {
                throw e;
            } catch (IOException e) {
                throw new StoreException("cannot import " + source + ": " + oneLine(e), e);
            }
            if (extractor.entries() == 0) throw new StoreException("cannot import " + source + ": not a tar archive (no entries)");
            String instruction = "import-tar sha256:" + HexFormat.of().formatHex(digest.digest());
            return commit(staging, Optional.empty(), instruction);
        } finally {
            discard(staging);
        }
    }

    private static String oneLine(IOException e) {
        String m = e.getMessage();
        return m == null ? e.getClass().getSimpleName() : m.lines().findFirst().orElse(m);
    }

    /** A fresh directory under tmp/, removed on exit if it was not committed. */
    public Path newStaging() throws IOException {
        Path tmp = data.resolve("tmp");
        Files.createDirectories(tmp);
        Path staging = Files.createTempDirectory(tmp, "layer-");
        StagingCleanup.register(staging);
        return staging;
    }

    public void discard(Path staging) throws IOException {
        try {
            Trees.deleteRecursively(staging);
        } finally {
            StagingCleanup.unregister(staging);
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
        String id = layerId(parent, instruction);
        Optional<Layer> existing = layer(id);
        if (existing.isPresent() && !replace) return existing.get();
        if (parent.isPresent()) {
            Files.writeString(staging.resolve("parent"), parent.get() + "\n");
        }
        LayerInfo info = new LayerInfo(id, parent.orElse(null), instruction, Instant.now().toString(),
                Trees.size(staging.resolve("root")));
        Json.MAPPER.writeValue(staging.resolve("layer.json").toFile(), info);
        Files.createDirectories(layersDirectory());
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
        StagingCleanup.unregister(staging);
        return layer(id).orElseThrow(() -> new StoreException("layer " + id + " vanished after commit"));
    }

    /**
     * Serialises the making of one layer across processes (an exclusive lock on DATA/locks/ID.lock), so
     * that concurrent builds of the same step produce it once: the second waits, then finds it made.
     */
    public AutoCloseable lock(String id) throws IOException {
        Path dir = data.resolve("locks");
        Files.createDirectories(dir);
        java.nio.channels.FileChannel channel = java.nio.channels.FileChannel.open(dir.resolve(id + ".lock"),
                java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.WRITE);
        try {
            java.nio.channels.FileLock lock = channel.lock();
            return () -> {
                lock.release();
                channel.close();
            };
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static String sha256Hex(byte[] bytes) {
        return HexFormat.of().formatHex(sha256().digest(bytes));
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
}
