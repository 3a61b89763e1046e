package runtime.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import runtime.cli.Installation.Mode;
import runtime.cli.Installation.Result;

/** Security properties as tests: isolation, the daemon socket, no privilege beyond the caller's, no setuid files. */
class SecurityIT {
    static Installation strata;

    @BeforeAll
    static void install() throws Exception {
        strata = Installation.get();
    }

    /** Mount points an isolated container may have: its root, its own /proc, /sys, /dev and /tmp, resolver files. */
    private static boolean allowedInIsolation(String mountPoint) {
        return Set.of("/", "/proc", "/sys", "/dev", "/tmp", "/etc/resolv.conf", "/etc/hosts", "/etc/hostname").contains(mountPoint)
                || mountPoint.startsWith("/dev/");
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void anIsolatedContainerSeesNoHostProcessMountOrSocketAndRunsConfined(Mode mode) throws Exception {
        strata.assumeMode(mode);
        Path data = strata.newStore(mode);
        String id = strata.importBusybox(mode, data);
        Path wd = strata.newWorkDirectory(mode);
        Path socket = data.resolve("d.sock");
        Process daemon = strata.start(mode, data, wd, Map.of(), "serve", "--socket", socket.toString());
        try {
            long deadline = System.nanoTime() + 30_000_000_000L;
            while (!Files.exists(socket) && System.nanoTime() < deadline) Thread.sleep(50);
            assertTrue(Files.exists(socket), "the daemon listens");
            long hostPid = ProcessHandle.current().pid();
            Result r = strata.strata(mode, data, wd, Map.of(), null, "run", "-i", id, "sh", "-c",
                    "test -e /proc/" + hostPid + " && echo host-pid-visible; test -e " + socket + " && echo socket-visible;"
                            + " test -e " + data + " && echo store-visible; grep -E '^(NoNewPrivs|Seccomp):' /proc/self/status;"
                            + " echo mounts; cut -d' ' -f5 /proc/self/mountinfo");
            assertEquals(0, r.exitCode(), r.err());
            List<String> lines = r.out().lines().toList();
            int mounts = lines.indexOf("mounts");
            assertEquals(List.of("NoNewPrivs:\t1", "Seccomp:\t2"), lines.subList(0, mounts),
                    "no host pid, socket or store visible; no_new_privs and a seccomp filter by default");
            List<String> inside = lines.subList(mounts + 1, lines.size());
            assertTrue(inside.stream().allMatch(SecurityIT::allowedInIsolation), "mounts inside: " + inside);
            List<String> hostOnly = new ArrayList<>();
            for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
                String point = line.split(" ")[4];
                if (!allowedInIsolation(point)) hostOnly.add(point);
            }
            for (String point : hostOnly) assertFalse(inside.contains(point), point + " of the host is visible inside");
        } finally {
            Installation.jvm(daemon).destroy();
            daemon.waitFor(30, TimeUnit.SECONDS);
        }
    }

    @Test
    void theDaemonSocketRefusesOtherUsers() throws Exception {
        strata.assumeMode(Mode.ROOT);
        strata.assumeMode(Mode.ROOTLESS);
        Path data = strata.newStore(Mode.ROOT);
        Path socket = data.resolve("d.sock");
        Path wd = strata.newWorkDirectory(Mode.ROOT);
        Process daemon = strata.start(Mode.ROOT, data, wd, Map.of(), "serve", "--socket", socket.toString());
        try {
            long deadline = System.nanoTime() + 30_000_000_000L;
            while (!Files.exists(socket) && System.nanoTime() < deadline) Thread.sleep(50);
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(socket)));
            String url = "http://strata/containers";
            Process asRoot = new ProcessBuilder("curl", "-sS", "--max-time", "10", "--unix-socket", socket.toString(), url)
                    .redirectErrorStream(true).start();
            String rootOut = new String(asRoot.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertEquals(0, asRoot.waitFor(), "root, the daemon's owner, is answered: " + rootOut);
            Process asOther = new ProcessBuilder("runuser", "-u", Installation.TEST_USER, "--", "curl", "-sS", "--max-time", "10",
                    "--unix-socket", socket.toString(), url).redirectErrorStream(true).start();
            String otherOut = new String(asOther.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertNotEquals(0, asOther.waitFor(), "another user must not reach root's daemon: " + otherOut);
            assertFalse(otherOut.contains("["), "no answer for another user: " + otherOut);
        } finally {
            Installation.jvm(daemon).destroy();
            daemon.waitFor(30, TimeUnit.SECONDS);
        }
    }

    @Test
    void rootInARootlessContainerIsTheCallerOnTheHost() throws Exception {
        strata.assumeMode(Mode.ROOTLESS);
        Path data = strata.newStore(Mode.ROOTLESS);
        String id = strata.importBusybox(Mode.ROOTLESS, data);
        Path wd = strata.newWorkDirectory(Mode.ROOTLESS);
        Path secret = Files.createTempFile(Path.of("/tmp"), "strata-secret-", "");
        try {
            Files.writeString(secret, "secret");
            Files.setPosixFilePermissions(secret, PosixFilePermissions.fromString("rw-------"));
            int caller = (Integer) Files.getAttribute(wd, "unix:uid");
            Result r = strata.strata(Mode.ROOTLESS, data, wd, Map.of(), null, "run", id, "sh", "-c",
                    "id -u; cat " + secret + " 2>/dev/null || echo unreadable; touch " + wd + "/made && chmod 4755 " + wd + "/made"
                            + " && chown 0:0 " + wd + "/made && echo chowned");
            assertEquals(0, r.exitCode(), r.err());
            List<String> lines = r.out().lines().toList();
            assertEquals("0", lines.getFirst(), "root inside");
            assertEquals("unreadable", lines.get(1), "but not the host's root: a root-only host file stays closed");
            Path made = wd.resolve("made");
            assertEquals(caller, (Integer) Files.getAttribute(made, "unix:uid", LinkOption.NOFOLLOW_LINKS),
                    "a file root made inside belongs to the calling user on the host");
            assertNotEquals(0, (Integer) Files.getAttribute(made, "unix:uid", LinkOption.NOFOLLOW_LINKS));
        } finally {
            Files.deleteIfExists(secret);
        }
    }

    @Test
    void theDistributionHasNoSetuidOrSetgidFiles() throws Exception {
        Path dist = strata.home.resolve("runtime.cli/target/dist");
        List<String> privileged = new ArrayList<>();
        int files;
        try (var walk = Files.walk(dist)) {
            List<Path> all = walk.filter(p -> Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)).toList();
            files = all.size();
            for (Path p : all) {
                int m = (Integer) Files.getAttribute(p, "unix:mode", LinkOption.NOFOLLOW_LINKS);
                if ((m & 06000) != 0) privileged.add(p + " " + Integer.toOctalString(m));
            }
        }
        assertTrue(files > 5, "the dist has its jars and helper: " + files);
        assertTrue(Files.isExecutable(dist.resolve("libexec/strata-helper")));
        assertEquals(List.of(), privileged);
    }
}
