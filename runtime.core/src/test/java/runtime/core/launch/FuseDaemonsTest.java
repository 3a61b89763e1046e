package runtime.core.launch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import runtime.api.net.NetworkAttachment;
import runtime.api.plan.MountFlags;
import runtime.api.plan.Namespaces;
import runtime.api.plan.SetupOp;
import runtime.api.sys.Posix;

/**
 * StartFuse with the real fuse-overlayfs: the daemon is up when the next step runs, ends with the
 * container, and strays are found by their argv; a daemon left behind (started the usual daemonizing
 * way, outside strata's keeper) is reported stale and killed.
 */
class FuseDaemonsTest {
    private static final NetworkAttachment HOST = () -> 0;
    private static final Path PROGRAM = Path.of("/usr/bin/fuse-overlayfs");
    private final IdMaps ids = IdMaps.forCaller(Posix.getuid(), Posix.getgid(), System.getProperty("user.name"),
            Map.of("STRATA_IDMAP", "single"));

    private List<SetupOp> plan(Path store, String command) throws Exception {
        Path scratch = Files.createDirectories(store.resolve("mnt"));
        Path lower = Files.createDirectories(store.resolve("layers/one/root"));
        Files.writeString(lower.resolve("hello"), "from the layer\n");
        return List.of(
                ContainerPlans.namespaces(ids, Namespaces.MOUNT),
                ContainerPlans.PRIVATE_PROPAGATION,
                new SetupOp.Mount("tmpfs", scratch, "tmpfs", MountFlags.MS_NOSUID | MountFlags.MS_NODEV, "mode=0755"),
                new SetupOp.MakeDirectories(scratch.resolve("upper"), 0755),
                new SetupOp.MakeDirectories(scratch.resolve("work"), 0755),
                new SetupOp.MakeDirectories(scratch.resolve("root"), 0755),
                new SetupOp.StartFuse(List.of(PROGRAM.toString(), "-f", "-o", "lowerdir=" + lower + ",upperdir="
                        + scratch.resolve("upper") + ",workdir=" + scratch.resolve("work"), scratch.resolve("root").toString()),
                        scratch.resolve("root"), true, 10_000),
                new SetupOp.Exec(List.of("sh", "-c", command), List.of("PATH=/bin:/usr/bin")));
    }

    @Test
    void theDaemonServesTheMountAndEndsWithTheContainer(@TempDir Path store) throws Exception {
        assumeTrue(Files.isExecutable(PROGRAM), "fuse-overlayfs is not installed (scripts/test-setup installs it)");
        Path out = store.resolve("out");
        Container c = Launcher.locate().start(plan(store, "cat " + store.resolve("mnt/root/hello") + " > " + out + "; sleep 30"),
                HOST, new Timings());
        try {
            assertEquals("from the layer\n", waitForFile(out));
            List<FuseDaemons.Daemon> running = FuseDaemons.find(store);
            assertEquals(1, running.size(), "one daemon names the store: " + running);
            assertTrue(running.getFirst().argv().contains("-f"));
            assertTrue(FuseDaemons.stale(store).isEmpty(), "a running container's daemon is not stale");
            assertTrue(FuseDaemons.find(store.resolveSibling(store.getFileName() + "2")).isEmpty(),
                    "a longer path with the store's as prefix is another store");
        } finally {
            c.signal(Posix.SIGKILL);
            c.waitFor();
        }
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (!FuseDaemons.find(store).isEmpty() && System.nanoTime() < deadline) Thread.sleep(10);
        assertTrue(FuseDaemons.find(store).isEmpty(), "the daemon ended with its container (SIGKILL, no cleanup by it)");
    }

    @Test
    void aMissingProgramIsNamed(@TempDir Path store) throws Exception {
        List<SetupOp> plan = new java.util.ArrayList<>(plan(store, "true"));
        SetupOp.StartFuse f = (SetupOp.StartFuse) plan.get(6);
        List<String> argv = new java.util.ArrayList<>(f.argv());
        argv.set(0, "/nonexistent/fuse-prog");
        plan.set(6, new SetupOp.StartFuse(argv, f.mountpoint(), false, 2000));
        LaunchException e = assertThrows(LaunchException.class, () -> Launcher.locate().start(plan, HOST, new Timings()));
        assertEquals("start /nonexistent/fuse-prog on " + store.resolve("mnt/root") + ": program not found", e.getMessage());
        assertEquals(6, e.failedStep());
    }

    @Test
    void aDaemonThatNeverMountsTimesOut(@TempDir Path store) throws Exception {
        List<SetupOp> plan = new java.util.ArrayList<>(plan(store, "true"));
        SetupOp.StartFuse f = (SetupOp.StartFuse) plan.get(6);
        plan.set(6, new SetupOp.StartFuse(List.of("sh", "-c", "sleep 5", store.toString()), f.mountpoint(), false, 200));
        LaunchException e = assertThrows(LaunchException.class, () -> Launcher.locate().start(plan, HOST, new Timings()));
        assertEquals("start sh on " + store.resolve("mnt/root") + ": no mount appeared within 200 ms", e.getMessage());
    }

    @Test
    void anOrphanedDaemonIsStaleAndKilled(@TempDir Path store) throws Exception {
        assumeTrue(Files.isExecutable(PROGRAM), "fuse-overlayfs is not installed (scripts/test-setup installs it)");
        Path lower = Files.createDirectories(store.resolve("layers/one/root"));
        for (String d : List.of("upper", "work", "mnt")) Files.createDirectories(store.resolve(d));
        // Daemonizing (no -f) in a namespace that then ends: the leftover strata clean must find.
        String script = PROGRAM + " -o lowerdir=" + lower + ",upperdir=" + store.resolve("upper") + ",workdir="
                + store.resolve("work") + " " + store.resolve("mnt");
        List<String> unshare = Posix.getuid() == 0 ? List.of("unshare", "-m", "--propagation", "private", "sh", "-c", script)
                : List.of("unshare", "-U", "-r", "-m", "sh", "-c", script);
        Process p = new ProcessBuilder(unshare).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes());
        assertEquals(0, p.waitFor(), output);
        try {
            List<FuseDaemons.Daemon> stale = FuseDaemons.stale(store);
            assertEquals(1, stale.size(), "the orphan is stale: " + FuseDaemons.find(store));
            assertEquals(1, FuseDaemons.kill(stale, Posix.SIGTERM));
            FuseDaemons.awaitGone(store, Duration.ofSeconds(5));
            assertTrue(FuseDaemons.find(store).isEmpty());
        } finally {
            FuseDaemons.kill(FuseDaemons.find(store), Posix.SIGKILL);
        }
    }

    @Test
    void pathsAreMatchedAtComponentBoundaries() {
        assertTrue(FuseDaemons.names("lowerdir=/d/layers/x/root:/d/layers/y/root", "/d"));
        assertTrue(FuseDaemons.names("/d/mnt/upper=RW:/d/layers/a=RO", "/d/mnt/upper"));
        assertFalse(FuseDaemons.names("lowerdir=/d2/layers/x", "/d"));
        assertFalse(FuseDaemons.names("upperdir=/d/mnt/upper2", "/d/mnt/upper"));
    }

    private static String waitForFile(Path file) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (System.nanoTime() < deadline) {
            if (Files.exists(file) && Files.size(file) > 0) return Files.readString(file);
            Thread.sleep(10);
        }
        throw new AssertionError("the container never wrote " + file);
    }
}
