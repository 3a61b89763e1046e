package runtime.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import runtime.cli.Installation.Mode;
import runtime.cli.Installation.Result;

/**
 * Crash safety: strata is killed with SIGKILL at random moments of import, build, rm and gc. After
 * every kill the store must be consistent ({@code strata fsck} may find leftovers in DATA/tmp, which a
 * killed process cannot clean, but never a broken layer or a dangling name), and the next command must
 * work. Bounded: {@link #ITERATIONS} kills per mode, each after at most {@link #MAX_DELAY_MS}.
 */
class CrashIT {
    static final int ITERATIONS = 10;
    static final int MAX_DELAY_MS = 1000;
    static Installation strata;

    @BeforeAll
    static void install() throws Exception {
        strata = Installation.get();
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void sigkillAtRandomPointsLeavesAConsistentStore(Mode mode) throws Exception {
        strata.assumeMode(mode);
        Path data = strata.newStore(mode);
        Path wd = strata.newWorkDirectory(mode);
        String base = strata.importBusybox(mode, data);
        assertEquals(0, strata.strata(mode, data, "map", "base", base).exitCode());
        byte[] rootfs = Files.readAllBytes(strata.rootfsTar);
        long seed = System.nanoTime();
        Random random = new Random(seed);
        // Kill points scale with this machine's speed: a command takes at least a JVM start and a store
        // look-up, which `strata images` measures. A fixed window would let a fast, idle machine finish
        // most runs before the kill (and a loaded one kill them all before they touch the store).
        // Through the server a command is a warm JVM's work: measure once the server listens (the first command
        // after it has gone runs a JVM of its own and starts it), and allow kill points below a JVM's start.
        assertEquals(0, strata.strata(mode, data, "images").exitCode());
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!Installation.direct && strata.serverPid(mode) == 0 && System.nanoTime() < deadline) Thread.sleep(50);
        long fastest = Long.MAX_VALUE;
        for (int i = 0; i < 3; i++) {
            long started = System.nanoTime();
            assertEquals(0, strata.strata(mode, data, "images").exitCode());
            fastest = Math.min(fastest, System.nanoTime() - started);
        }
        int floorMs = (int) Math.max(Installation.direct ? 50 : 6, TimeUnit.NANOSECONDS.toMillis(fastest));
        int killedInFlight = 0;
        List<String> log = new ArrayList<>();
        for (int i = 0; i < ITERATIONS; i++) {
            String[] args = switch (i % 4) {
                // A new archive each time (the import key is the archive's hash): trailing zero blocks differ.
                case 0 -> {
                    Path variant = wd.resolve("rootfs-" + i + ".tar");
                    Files.write(variant, rootfs);
                    Files.write(variant, new byte[512 * (i + 1)], java.nio.file.StandardOpenOption.APPEND);
                    if (mode == Mode.ROOTLESS && strata.runningAsRoot) {
                        Installation.exec(List.of("chown", Installation.TEST_USER + ":", variant.toString()));
                    }
                    yield new String[] {"import-tar", variant.toString()};
                }
                case 1 -> new String[] {"build", "--from", "base", "--run", "echo " + i + " > /etc/iteration; mkdir -p /var/x" + i};
                case 2 -> new String[] {"rm", anyLayerBut(data, base).orElse(base.substring(0, 12) + "-none")};
                default -> new String[] {"gc"};
            };
            int delay = floorMs / 2 + random.nextInt(Math.min(MAX_DELAY_MS, floorMs * 7 / 10));
            Process p = strata.start(mode, data, wd, Map.of(), args);
            boolean finished = p.waitFor(delay, TimeUnit.MILLISECONDS);
            if (!finished) {
                killJvm(mode, p);
                killedInFlight++;
            }
            assertTrue(p.waitFor(30, TimeUnit.SECONDS), "strata " + String.join(" ", args) + " did not end after SIGKILL");
            log.add(args[0] + (finished ? " finished" : " killed after " + delay + " ms"));
            assertConsistent(mode, data, "after " + String.join("; ", log) + " (seed " + seed + ")");
        }
        assertTrue(killedInFlight >= ITERATIONS / 3, "most runs should be killed in flight (floor " + floorMs + " ms): " + log);
        Result repair = strata.strata(mode, data, "fsck", "--repair");
        assertEquals(0, repair.exitCode(), repair.out() + repair.err());
        Result fsck = strata.strata(mode, data, "fsck");
        assertEquals(0, fsck.exitCode(), fsck.out());
        assertEquals("", fsck.out());
        try (var tmp = Files.list(data.resolve("tmp"))) {
            assertEquals(List.of(), tmp.toList(), "repair leaves DATA/tmp empty");
        }
        Result build = strata.strata(mode, data, "build", "--from", "base", "--run", "echo after > /etc/after");
        assertEquals(0, build.exitCode(), build.err());
        Result run = strata.strata(mode, data, "run", build.line(), "cat", "/etc/after");
        assertEquals("after", run.line(), run.err());
    }

    /** fsck reports at most leftovers (a killed process cannot remove its own), and strata still works. */
    private static void assertConsistent(Mode mode, Path data, String context) throws Exception {
        Result fsck = strata.strata(mode, data, "fsck");
        for (String line : fsck.out().lines().toList()) {
            assertTrue(line.startsWith("leftover tmp/"), line + " " + context);
        }
        assertEquals(fsck.out().isEmpty() ? 0 : 1, fsck.exitCode(), fsck.err());
        Result images = strata.strata(mode, data, "images");
        assertEquals(0, images.exitCode(), images.err() + " " + context);
    }

    private static java.util.Optional<String> anyLayerBut(Path data, String keep) throws Exception {
        try (var s = Files.list(data.resolve("layers"))) {
            return s.map(p -> p.getFileName().toString()).filter(id -> !id.equals(keep)).sorted().findFirst();
        }
    }

    /**
     * SIGKILL to strata's JVM, as a crash or the OOM killer would; until the launcher script has exec'd
     * java, to the whole process tree. What strata started itself must end on its own (die-with-parent).
     * Through the server, the JVM doing the work is the server's: it is killed, and the front ends by itself.
     */
    private static void killJvm(Mode mode, Process p) throws Exception {
        ProcessHandle jvm = Installation.jvm(p);
        if (jvm.info().command().orElse("").endsWith("/strata-front")) {
            long server = strata.serverPid(mode);
            if (server != 0) ProcessHandle.of(server).ifPresent(ProcessHandle::destroyForcibly);
            // A front that found no server runs the command in a JVM of its own: that one does the work.
            jvm.descendants().filter(h -> h.info().command().orElse("").endsWith("/java")).forEach(ProcessHandle::destroyForcibly);
            return;
        }
        if (jvm.pid() != p.pid()) {
            jvm.destroyForcibly();
        } else {
            p.toHandle().descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
        }
    }
}
