package runtime.core.containers;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.stream.Stream;

import runtime.core.store.PrivateDirectory;
import runtime.core.store.PropertiesFiles;
import runtime.core.store.Timestamps;
import runtime.core.store.Trees;

/**
 * The containers of one user: a directory per container under RUNTIME/containers/ID holding its
 * {@code state} file and whatever its network needs (slirp4netns's API socket). RUNTIME is
 * {@code $XDG_RUNTIME_DIR/strata}, else {@code /run/strata} for root, else {@code /tmp/strata-UID}
 * (short paths: unix socket names are limited to 108 bytes). A record whose process is gone is stale
 * and dropped when listed.
 */
public final class ContainerRegistry {
    private final Path directory;

    public ContainerRegistry(Path runtimeDirectory) {
        this.directory = runtimeDirectory.resolve("containers");
    }

    /** The caller's runtime directory, made or checked by {@link PrivateDirectory#ensure} (refused when another user's). */
    public static Path runtimeDirectory(Map<String, String> env, int uid) {
        String xdg = env.get("XDG_RUNTIME_DIR");
        if (xdg != null && !xdg.isEmpty() && Files.isDirectory(Path.of(xdg))) return PrivateDirectory.ensure(Path.of(xdg, "strata"));
        if (uid == 0) return PrivateDirectory.ensure(Path.of("/run/strata"));
        return PrivateDirectory.ensure(Path.of("/tmp", "strata-" + uid));
    }

    /** Reserves an id (and the name, which must be unused) and makes the container's directory. */
    public synchronized ContainerRecord create(Optional<String> name, String image, String network, List<String> command)
            throws IOException {
        if (!Files.isDirectory(directory)) Files.createDirectories(directory);
        if (name.isPresent()) {
            if (!name.get().matches("[A-Za-z0-9][A-Za-z0-9_.-]{0,62}")) {
                throw new IllegalArgumentException("bad container name '" + name.get() + "': letters, digits, _ . - (max 63)");
            }
            if (find(name.get()).isPresent()) throw new IllegalArgumentException("a container named " + name.get() + " is running");
        }
        String id = HexFormat.of().formatHex(randomBytes(6));
        Path dir = Files.createDirectory(directory.resolve(id));
        return new ContainerRecord(id, name.orElse(id), image, network, -1, Timestamps.now(), command, dir);
    }

    /**
     * Random bytes for an id, from the kernel: a SecureRandom would look up a JCA provider first, ~10 ms of a
     * cold {@code run -I}.
     */
    private static byte[] randomBytes(int count) throws IOException {
        try (InputStream in = Files.newInputStream(Path.of("/dev/urandom"))) {
            return in.readNBytes(count);
        }
    }

    /** Records the container's pid once it runs. */
    public ContainerRecord started(ContainerRecord record, long pid) throws IOException {
        ContainerRecord r = new ContainerRecord(record.id(), record.name(), record.image(), record.network(), pid,
                record.created(), record.command(), record.directory());
        Map<String, String> p = new HashMap<>();
        p.put("id", r.id());
        p.put("name", r.name());
        p.put("image", r.image());
        p.put("network", r.network());
        p.put("pid", Long.toString(pid));
        p.put("created", r.created());
        for (int i = 0; i < r.command().size(); i++) p.put("command." + i, r.command().get(i));
        PropertiesFiles.write(r.directory().resolve("state"), p);
        return r;
    }

    public void remove(ContainerRecord record) {
        try {
            // The usual directory holds the state file alone: two calls, not a tree walk (a tenth of a
            // millisecond of every `run -I` through the server); one with more (a network's sockets) is walked.
            Files.deleteIfExists(record.directory().resolve("state"));
            Files.delete(record.directory());
            return;
        } catch (IOException e) {
            // not empty, or gone already: the walk below says which
        }
        try {
            Trees.deleteRecursively(record.directory());
        } catch (IOException e) {
            // a leftover directory is dropped as stale by the next listing
        }
    }

    /** Running containers, oldest first; records of ended processes are removed. */
    public List<ContainerRecord> list() {
        List<ContainerRecord> result = new ArrayList<>();
        if (!Files.isDirectory(directory)) return result;
        try (Stream<Path> dirs = Files.list(directory)) {
            for (Path dir : dirs.toList()) {
                Optional<ContainerRecord> r = read(dir);
                if (r.isPresent() && alive(r.get().pid())) {
                    result.add(r.get());
                } else if (r.isPresent() || olderThanAMinute(dir)) {
                    remove(new ContainerRecord("", "", "", "", -1, "", List.of(), dir));
                }
            }
        } catch (IOException e) {
            return result;
        }
        result.sort((a, b) -> a.created().compareTo(b.created()));
        return result;
    }

    /**
     * The record of container {@code id} as it was written, alive or not: one file read, where {@link #find}
     * reads every record (for whoever just started that container and knows its id).
     */
    public Optional<ContainerRecord> byId(String id) {
        if (!id.matches("[0-9a-f]{12}")) return Optional.empty();
        return read(directory.resolve(id));
    }

    /** By id, unique id prefix, or name. */
    public Optional<ContainerRecord> find(String reference) {
        List<ContainerRecord> all = list();
        for (ContainerRecord r : all) if (r.name().equals(reference) || r.id().equals(reference)) return Optional.of(r);
        List<ContainerRecord> prefix = all.stream().filter(r -> r.id().startsWith(reference)).toList();
        return prefix.size() == 1 ? Optional.of(prefix.getFirst()) : Optional.empty();
    }

    private static Optional<ContainerRecord> read(Path dir) {
        Properties p;
        try {
            p = PropertiesFiles.read(dir.resolve("state"));
        } catch (IOException e) {
            return Optional.empty();
        }
        List<String> command = new ArrayList<>();
        for (int i = 0; p.containsKey("command." + i); i++) command.add(p.getProperty("command." + i));
        return Optional.of(new ContainerRecord(p.getProperty("id"), p.getProperty("name"), p.getProperty("image"),
                p.getProperty("network"), Long.parseLong(p.getProperty("pid", "-1")), p.getProperty("created"), command, dir));
    }

    private static boolean alive(long pid) {
        return pid > 0 && ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
    }

    /** A directory without a state file is a container still starting, unless it has been so for long. */
    private static boolean olderThanAMinute(Path dir) {
        try {
            return Files.getLastModifiedTime(dir).toInstant().isBefore(Instant.now().minusSeconds(60));
        } catch (IOException e) {
            return false;
        }
    }
}
