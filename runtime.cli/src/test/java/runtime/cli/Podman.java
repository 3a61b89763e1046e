package runtime.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import runtime.cli.Installation.Mode;
import runtime.cli.Installation.Result;

/**
 * The real podman with storage of its own in a temp directory (--root, --runroot, --tmpdir and a
 * containers.conf given by CONTAINERS_CONF), so tests neither see nor disturb other podman users of
 * the machine. Commands run as root or as the test user, with the OCI runtime the caller names.
 * The busybox root filesystem is imported as {@link #IMAGE}.
 */
final class Podman implements AutoCloseable {
    static final String IMAGE = "localhost/busybox:it";

    /**
     * vfs: plain copies, no overlay or fuse-overlayfs mounts to differ between modes (busybox is 2 MB).
     * cgroupfs: no systemd session exists for a user started by runuser. file events: no journald.
     * default_ulimits: podman otherwise asks the runtime for rlimits some VMs cannot raise.
     */
    private static final String CONFIG = """
            [containers]
            default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]
            [engine]
            cgroup_manager = "cgroupfs"
            events_logger = "file"
            """;

    final Mode mode;
    final Path dir;
    private final Installation strata;

    private Podman(Installation strata, Mode mode, Path dir) {
        this.strata = strata;
        this.mode = mode;
        this.dir = dir;
    }

    static Podman create(Installation strata, Mode mode) throws Exception {
        Path dir = Files.createTempDirectory(Path.of("/tmp"), "strata-podman-",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.writeString(dir.resolve("containers.conf"), CONFIG);
        try (InputStream script = Podman.class.getResourceAsStream("pty-run.py")) {
            Files.copy(script, dir.resolve("pty-run.py"));
        }
        if (mode == Mode.ROOTLESS && strata.runningAsRoot) {
            Installation.exec(List.of("chown", "-R", Installation.TEST_USER + ":", dir.toString()));
        }
        Podman podman = new Podman(strata, mode, dir);
        Result imported = podman.run(List.of("import", strata.rootfsTar.toString(), IMAGE), null);
        assertEquals(0, imported.exitCode(), imported.err());
        return podman;
    }

    /** The uid that owns, on the host, what the container's root creates: root's or the rootless user's. */
    int hostUid() throws Exception {
        boolean asTestUser = mode == Mode.ROOTLESS && strata.runningAsRoot;
        Result id = Installation.run(asTestUser ? List.of("id", "-u", Installation.TEST_USER) : List.of("id", "-u"), dir, null, 10);
        return Integer.parseInt(id.line());
    }

    /** A directory the mode's user owns (bind mount sources, env files). */
    Path newDirectory(String name) throws Exception {
        Path d = Files.createDirectory(dir.resolve(name));
        if (mode == Mode.ROOTLESS && strata.runningAsRoot) Installation.exec(List.of("chown", Installation.TEST_USER + ":", d.toString()));
        return d;
    }

    /** podman with this storage, as the mode's user, with a cleared environment plus {@code extraEnv}. */
    List<String> command(String runtime, Map<String, String> extraEnv, List<String> args) throws IOException {
        boolean asTestUser = mode == Mode.ROOTLESS && strata.runningAsRoot;
        Map<String, String> env = new TreeMap<>();
        env.put("PATH", "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin");
        env.put("LANG", "C.UTF-8");
        env.put("HOME", asTestUser ? "/home/" + Installation.TEST_USER : System.getProperty("user.home"));
        env.put("CONTAINERS_CONF", dir.resolve("containers.conf").toString());
        if (mode == Mode.ROOTLESS) env.put("XDG_RUNTIME_DIR", runtimeDirectory(asTestUser));
        env.putAll(extraEnv);
        List<String> cmd = new ArrayList<>();
        if (asTestUser) cmd.addAll(List.of("runuser", "-u", Installation.TEST_USER, "--"));
        cmd.add("env");
        cmd.add("-i");
        env.forEach((k, v) -> cmd.add(k + "=" + v));
        cmd.addAll(List.of("podman", "--root", dir.resolve("storage").toString(), "--runroot", dir.resolve("run").toString(),
                "--tmpdir", dir.resolve("tmp").toString(), "--storage-driver", "vfs"));
        if (runtime != null) cmd.addAll(List.of("--runtime", runtime));
        cmd.addAll(args);
        return cmd;
    }

    /** Rootless podman keeps its pause process there; scripts/test-setup makes the test user's. */
    private static String runtimeDirectory(boolean asTestUser) throws IOException {
        if (!asTestUser && System.getenv("XDG_RUNTIME_DIR") != null) return System.getenv("XDG_RUNTIME_DIR");
        String uid = asTestUser ? uidOf(Installation.TEST_USER) : uidOf(System.getProperty("user.name"));
        return "/run/user/" + uid;
    }

    private static String uidOf(String user) throws IOException {
        Process p = new ProcessBuilder("id", "-u", user).start();
        return new String(p.getInputStream().readAllBytes()).strip();
    }

    Result run(List<String> args, String runtime) throws Exception {
        return run(args, runtime, Map.of(), null);
    }

    Result run(List<String> args, String runtime, Map<String, String> env, String stdin) throws Exception {
        return Installation.run(command(runtime, env, args), dir, stdin, 120);
    }

    /**
     * Runs podman on a new pseudo-terminal (pty-run.py): once the output shows {@code marker}, the
     * line {@code input} is typed. The terminal is 40 rows by 100 columns. Returns what the terminal showed.
     */
    Result runOnTerminal(List<String> args, String runtime, String marker, String input) throws Exception {
        List<String> podman = command(runtime, Map.of(), args);
        int at = podman.indexOf("podman");
        List<String> cmd = new ArrayList<>(podman.subList(0, at));
        cmd.addAll(List.of("python3", dir.resolve("pty-run.py").toString(), marker, input + "\n", "--"));
        cmd.addAll(podman.subList(at, podman.size()));
        return Installation.run(cmd, dir, null, 120);
    }

    /**
     * Stops rootless podman's pause process (it keeps the user namespace alive and would outlive the
     * test) and removes the storage (the tests remove their containers themselves, each with its runtime).
     */
    @Override
    public void close() throws Exception {
        Path pausePid = dir.resolve("tmp/pause.pid");
        if (Files.exists(pausePid)) {
            long pid = Long.parseLong(Files.readString(pausePid).strip());
            ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
        }
        if (strata.runningAsRoot) {
            Installation.run(List.of("rm", "-rf", dir.toString()), Path.of("/"), null, 120);
        } else {
            // Rootless storage holds files of the subordinate uids: only the user namespace can remove them.
            Installation.run(command(null, Map.of(), List.of("unshare", "rm", "-rf", dir.resolve("storage").toString())), Path.of("/"), null, 120);
            Installation.run(List.of("rm", "-rf", dir.toString()), Path.of("/"), null, 120);
        }
    }
}
