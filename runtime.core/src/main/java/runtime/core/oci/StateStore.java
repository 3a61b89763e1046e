package runtime.core.oci;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import runtime.api.sys.ErrnoException;
import runtime.api.sys.Posix;
import runtime.core.store.PrivateDirectory;

/**
 * The state root ({@code --root}): one directory per container with its {@code state.json}, a copy of
 * its {@code config.json} (the bundle may change or go while the container lives) and, until started,
 * the fifo its process waits on. Making the directory is what reserves an id.
 */
public final class StateStore {
    public static final String START_FIFO = "exec.fifo";
    private static final Pattern ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.+-]{0,1023}");

    private final Path root;

    /**
     * The store at {@code root}, made or checked by {@link PrivateDirectory#ensure}: the hooks of the
     * config.json copies kept there run as the caller, so another user must never have made it.
     */
    public StateStore(Path root) {
        this.root = PrivateDirectory.ensure(root);
    }

    /** runc's default places: /run/strata-oci as real root, else $XDG_RUNTIME_DIR/strata-oci (else below a private /tmp/strata-oci-UID). */
    public static Path defaultRoot(java.util.Map<String, String> env) {
        if (Posix.geteuid() == 0 && !UserNamespaces.inUserNamespace()) return Path.of("/run/strata-oci");
        String runtime = env.get("XDG_RUNTIME_DIR");
        if (runtime == null || runtime.isEmpty()) return PrivateDirectory.ensure(Path.of("/tmp/strata-oci-" + Posix.getuid())).resolve("strata-oci");
        return Path.of(runtime, "strata-oci");
    }

    public Path root() {
        return root;
    }

    public static void checkId(String id) {
        if (!ID.matcher(id).matches()) throw new IllegalArgumentException("invalid container id '" + id + "'");
    }

    /** Reserves {@code id}: its directory with the start fifo in it. */
    public Path reserve(String id) throws IOException {
        checkId(id);
        Path dir = root.resolve(id);
        try {
            Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx--x--x")));
        } catch (FileAlreadyExistsException e) {
            throw new IllegalArgumentException("container with id " + id + " already exists");
        }
        try {
            Posix.mknod(dir.resolve(START_FIFO).toString(), Posix.S_IFIFO | 0622, 0, 0);
            // 0622 despite the umask, as runc's: a container root mapped to another uid opens it for writing.
            Files.setPosixFilePermissions(dir.resolve(START_FIFO), PosixFilePermissions.fromString("rw--w--w-"));
        } catch (ErrnoException e) {
            remove(id);
            throw new IOException("make " + dir.resolve(START_FIFO) + ": " + e.getMessage());
        }
        return dir;
    }

    public Path directory(String id) {
        checkId(id);
        return root.resolve(id);
    }

    public void save(ContainerState state) throws IOException {
        state.write(directory(state.id()).resolve("state.json"));
    }

    /** The container's state; an unknown id is an IllegalArgumentException saying so. */
    public ContainerState load(String id) throws IOException {
        try {
            return ContainerState.read(directory(id).resolve("state.json"));
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException("container " + id + " does not exist");
        }
    }

    public List<String> ids() throws IOException {
        if (!Files.isDirectory(root)) return List.of();
        List<String> ids = new ArrayList<>();
        try (Stream<Path> s = Files.list(root)) {
            s.filter(p -> Files.exists(p.resolve("state.json"))).forEach(p -> ids.add(p.getFileName().toString()));
        }
        ids.sort(null);
        return ids;
    }

    public void remove(String id) throws IOException {
        Path dir = directory(id);
        if (!Files.exists(dir)) return;
        try (Stream<Path> s = Files.list(dir)) {
            for (Path p : s.toList()) Files.deleteIfExists(p);
        }
        Files.deleteIfExists(dir);
    }
}
