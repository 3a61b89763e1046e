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

    /**
     * Mount points an isolated container may have: its root, its own /proc, /sys, /dev and /tmp, resolver
     * files, and the read-only or masked kernel interfaces over its /proc and /sys.
     */
    private static boolean allowedInIsolation(String mountPoint) {
        return Set.of("/", "/proc", "/sys", "/dev", "/tmp", "/etc/resolv.conf", "/etc/hosts", "/etc/hostname").contains(mountPoint)
                || mountPoint.startsWith("/dev/") || KernelAttackIT.HIDDEN.contains(mountPoint);
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
            Result r = strata.strata(mode, data, wd, Map.of(), null, "run", "-I", id, "sh", "-c",
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

    /** root's daemon refuses the test user; the test user's daemon refuses nobody. Its owner is answered. */
    @ParameterizedTest
    @EnumSource(Mode.class)
    void theDaemonSocketRefusesOtherUsers(Mode owner) throws Exception {
        strata.assumeMode(Mode.ROOT); // to act as the other user
        strata.assumeMode(Mode.ROOTLESS);
        Path data = strata.newStore(owner);
        Path socket = data.resolve("d.sock");
        Path wd = strata.newWorkDirectory(owner);
        Process daemon = strata.start(owner, data, wd, Map.of(), "serve", "--socket", socket.toString());
        try {
            long deadline = System.nanoTime() + 30_000_000_000L;
            while (!Files.exists(socket) && System.nanoTime() < deadline) Thread.sleep(50);
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(socket)));
            String ownerName = owner == Mode.ROOT ? "root" : Installation.TEST_USER;
            String other = owner == Mode.ROOT ? Installation.TEST_USER : "nobody";
            String ownerOut = curlAs(ownerName, socket);
            assertTrue(ownerOut.startsWith("0 ["), ownerName + ", the daemon's owner, is answered: " + ownerOut);
            String otherOut = curlAs(other, socket);
            assertFalse(otherOut.startsWith("0 "), other + " must not reach " + ownerName + "'s daemon: " + otherOut);
            assertFalse(otherOut.contains("["), "no answer for another user: " + otherOut);
        } finally {
            Installation.jvm(daemon).destroy();
            daemon.waitFor(30, TimeUnit.SECONDS);
        }
    }

    /** "EXIT OUTPUT" of curl asking the daemon at {@code socket} for its containers, as {@code user}. */
    private static String curlAs(String user, Path socket) throws Exception {
        Process p = new ProcessBuilder("runuser", "-u", user, "--", "curl", "-sS", "--max-time", "10", "--unix-socket", socket.toString(),
                "http://strata/containers").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        return p.waitFor() + " " + out;
    }

    /**
     * The default seccomp filter is what refuses mount and unshare: with the capability they need added
     * they still fail, and only with the filter off (--seccomp unconfined) do they work.
     */
    @ParameterizedTest
    @EnumSource(Mode.class)
    void theDefaultSeccompFilterRefusesMountAndUnshareEvenWithCapSysAdmin(Mode mode) throws Exception {
        strata.assumeMode(mode);
        Path data = strata.newStore(mode);
        String id = strata.importBusybox(mode, data);
        String probe = "mount -t tmpfs none /tmp 2>/dev/null && echo mounted || echo mount-refused;"
                + " unshare -m true 2>/dev/null && echo unshared || echo unshare-refused";
        Result confined = strata.strata(mode, data, strata.home, Map.of(), null, "run", "-I", "--cap-add", "SYS_ADMIN", id, "sh", "-c", probe);
        assertEquals(0, confined.exitCode(), confined.err());
        assertEquals(List.of("mount-refused", "unshare-refused"), confined.out().lines().toList());
        Result unconfined = strata.strata(mode, data, strata.home, Map.of(), null, "run", "-I", "--cap-add", "SYS_ADMIN",
                "--seccomp", "unconfined", id, "sh", "-c", probe);
        assertEquals(0, unconfined.exitCode(), unconfined.err());
        assertEquals(List.of("mounted", "unshared"), unconfined.out().lines().toList(), "the probe works without the filter");
    }

    /**
     * Seen from the host, a rootless container's processes (plash and isolated) have the caller's user
     * and group ids, real, effective, saved and filesystem: root inside is no privilege outside.
     */
    @ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(booleans = {false, true})
    void aRootlessContainersProcessesHaveTheCallersIdsOnTheHost(boolean isolated) throws Exception {
        strata.assumeMode(Mode.ROOTLESS);
        Path data = strata.newStore(Mode.ROOTLESS);
        String id = strata.importBusybox(Mode.ROOTLESS, data);
        Path wd = strata.newWorkDirectory(Mode.ROOTLESS);
        int caller = (Integer) Files.getAttribute(wd, "unix:uid");
        int callerGroup = (Integer) Files.getAttribute(wd, "unix:gid");
        List<String> args = new ArrayList<>(List.of("run"));
        if (isolated) args.add("-I");
        args.addAll(List.of(id, "sh", "-c", "id -u; exec sleep 60"));
        Process run = strata.start(Mode.ROOTLESS, data, wd, Map.of(), args.toArray(String[]::new));
        try {
            ProcessHandle sleeper = null;
            long deadline = System.nanoTime() + 60_000_000_000L;
            while (sleeper == null && System.nanoTime() < deadline) {
                // busybox as "sleep 60", after the shell has printed the id and exec'd it
                sleeper = run.toHandle().descendants().filter(h -> h.info().command().orElse("").endsWith("/busybox")
                        && List.of("60").equals(List.of(h.info().arguments().orElse(new String[0])))).findFirst().orElse(null);
                if (sleeper == null) Thread.sleep(50);
            }
            assertTrue(sleeper != null, "the container's process: " + Files.readString(wd.resolve("err")));
            List<String> status = Files.readAllLines(Path.of("/proc", Long.toString(sleeper.pid()), "status"));
            String ids = "\t" + caller + "\t" + caller + "\t" + caller + "\t" + caller;
            String groups = "\t" + callerGroup + "\t" + callerGroup + "\t" + callerGroup + "\t" + callerGroup;
            assertTrue(status.contains("Uid:" + ids), "uids of the container's process on the host: " + status);
            assertTrue(status.contains("Gid:" + groups), "gids of the container's process on the host: " + status);
            sleeper.destroyForcibly();
            assertTrue(run.waitFor(30, TimeUnit.SECONDS));
            assertEquals("0", Files.readString(wd.resolve("out")).strip(), "root inside");
        } finally {
            run.toHandle().descendants().forEach(ProcessHandle::destroyForcibly);
            run.destroyForcibly();
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
