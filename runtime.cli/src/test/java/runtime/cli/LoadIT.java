package runtime.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import runtime.cli.Installation.Mode;
import runtime.cli.load.LoadDriver;

/**
 * Load and leaks, as root and as the unprivileged test user: {@link LoadDriver}, one warm JVM on the
 * packaged strata's module path running as the mode's user, goes through 1,000 container start/stop
 * cycles in plash mode and 1,000 isolated (a fifth on the FUSE drivers, a tenth of the isolated ones with
 * slirp4netns, as root a tenth in a pids cgroup), 100 containers alive at once and killed, and 200
 * create/stop/delete cycles twice through a
 * {@code strata serve} daemon. Nothing may stay behind: no mount in the host's table, no helper, FUSE or
 * slirp4netns process, no child or zombie of the driver, no growth in its or the daemon's descriptors, no
 * temp directory, container record, cgroup or container log; and the daemon's heap after a full GC may
 * not grow by more than {@value #HEAP_GROWTH_KIB} KiB over the second round of cycles.
 */
class LoadIT {
    /** The defaults; -Dload.cycles, -Dload.concurrent and -Dload.daemonCycles change them for a longer or quicker run. */
    static final int CYCLES = Integer.getInteger("load.cycles", 1000);
    static final int CONCURRENT = Integer.getInteger("load.concurrent", 100);
    static final int DAEMON_CYCLES = Integer.getInteger("load.daemonCycles", 200);
    /**
     * Measured (docs/benchmarks.md): after a full GC the daemon's heap grew 6-12 KiB over 200
     * create/stop/delete cycles (root and rootless, 8.5 MiB in all), while 200 containers created and
     * stopped but not deleted, i.e. what the daemon would keep if delete forgot one, added 394 KiB (2 KiB
     * each). 256 KiB sits between: noise passes, a kilobyte and more kept per container does not.
     */
    static final long HEAP_GROWTH_KIB = 256;

    @ParameterizedTest
    @EnumSource(Mode.class)
    void cyclesAndConcurrentContainersLeaveNothingBehindAndTheDaemonStaysFlat(Mode mode) throws Exception {
        Installation strata = Installation.get();
        strata.assumeMode(mode);
        Path data = strata.newStore(mode);
        Path dir = strata.newWorkDirectory(mode);
        Path runtimeDir = dir.resolve("run");
        Path daemonRuntime = dir.resolve("daemon-run");
        Path socketDir = dir.resolve("sock");
        Path jvmTmp = dir.resolve("jvm-tmp");
        for (Path d : List.of(runtimeDir, daemonRuntime, socketDir, jvmTmp)) {
            Files.createDirectories(d);
            Files.setPosixFilePermissions(d, PosixFilePermissions.fromString("rwx------"));
        }
        boolean asTestUser = mode == Mode.ROOTLESS && strata.runningAsRoot;
        if (asTestUser) Installation.exec(List.of("chown", "-R", Installation.TEST_USER + ":", dir.toString()));
        Path socket = socketDir.resolve("d.sock");

        Process daemon = strata.start(mode, data, dir, Map.of("XDG_RUNTIME_DIR", daemonRuntime.toString()),
                "serve", "--socket", socket.toString());
        Map<String, String> figures;
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (!Files.exists(socket) && System.nanoTime() < deadline) Thread.sleep(50);
            assertTrue(Files.exists(socket), "the daemon listens: " + Files.readString(dir.resolve("err")));
            long daemonPid = Installation.jvm(daemon).pid();
            figures = drive(strata, mode, asTestUser, List.of(data.toString(), runtimeDir.toString(), strata.rootfsTar.toString(),
                    Integer.toString(CYCLES), Integer.toString(CONCURRENT), socket.toString(), Long.toString(daemonPid),
                    Integer.toString(DAEMON_CYCLES)), jvmTmp);
            assertEquals(List.of(), list(daemonRuntime.resolve("strata/logs")), "container logs the daemon kept after delete");
            assertEquals(List.of(), list(daemonRuntime.resolve("strata/containers")), "the daemon's container records");
        } finally {
            new ProcessBuilder("kill", "-TERM", Long.toString(Installation.jvm(daemon).pid())).start().waitFor();
            assertTrue(daemon.waitFor(30, TimeUnit.SECONDS), "the daemon ends on SIGTERM");
        }
        System.out.println("LoadIT " + mode + ": " + figures);

        assertEquals("yes", figures.get("done"), figures.toString());
        assertEquals(Integer.toString(CONCURRENT), figures.get("concurrent.alive"), "all alive at once");
        assertEquals(Integer.toString(CYCLES), figures.get("isolated.cycles"));
        // scripts/test-setup installs both FUSE drivers and opens /dev/fuse: their leak checks must have had something to find.
        assertEquals("[fuse-overlayfs, unionfs-fuse]", figures.get("fuse"), figures.toString());
        assertTrue(Long.parseLong(figures.get("concurrent.fuse_processes")) > 0, "FUSE daemons ran: " + figures);
        if (Files.isExecutable(Path.of("/usr/bin/slirp4netns"))) {
            assertTrue(Long.parseLong(figures.get("concurrent.slirp_processes")) > 0, "slirp4netns ran: " + figures);
        }
        if (mode == Mode.ROOT) assertTrue(Long.parseLong(figures.get("concurrent.cgroups")) > 0, "cgroups were made: " + figures);
        assertTrue(Long.parseLong(figures.get("isolated.registered")) >= CYCLES, figures.get("isolated.registered"));

        long fdsBefore = Long.parseLong(figures.get("fds.before"));
        long fdsAfter = Long.parseLong(figures.get("fds.after"));
        assertTrue(fdsAfter <= fdsBefore + 2, "the driver's descriptors grew from " + fdsBefore + " to " + fdsAfter);
        long daemonFdsBefore = Long.parseLong(figures.get("daemon.fds.before"));
        long daemonFdsAfter = Long.parseLong(figures.get("daemon.fds.after"));
        assertTrue(daemonFdsAfter <= daemonFdsBefore + 2, "the daemon's descriptors grew from " + daemonFdsBefore + " to " + daemonFdsAfter);
        long heapBefore = Long.parseLong(figures.get("daemon.heap_kib.before"));
        long heapAfter = Long.parseLong(figures.get("daemon.heap_kib.after"));
        assertTrue(heapAfter - heapBefore <= HEAP_GROWTH_KIB, "the daemon's heap grew from " + heapBefore + " KiB to " + heapAfter + " KiB");
        assertEquals("0", figures.get("daemon.containers_listed"), "deleted containers stay listed");
        for (String leftover : List.of("left.children", "left.zombies", "left.processes", "left.own_mounts", "left.data_tmp",
                "left.container_records", "left.cgroups", "left.tmp")) {
            assertEquals("[]", figures.get(leftover), leftover);
        }
        // The host side, once the driver has ended: FUSE daemons or slirp4netns orphaned to init would show here.
        List<String> needles = List.of(data.toString(), runtimeDir.toString(), daemonRuntime.toString(),
                strata.home.resolve("runtime.cli/target/dist/libexec/strata-helper").toString());
        assertEquals(List.of(), LoadDriver.processesMentioning(needles), "processes left");
        assertEquals(List.of(), Files.readAllLines(Path.of("/proc/self/mountinfo")).stream()
                .filter(l -> needles.stream().anyMatch(l::contains)).toList(), "mounts left in the host's table");
        Installation.exec(List.of("rm", "-rf", dir.toString(), data.toString()));
    }

    /** Runs the driver as the mode's user and returns its {@code load:} figures. */
    private static Map<String, String> drive(Installation strata, Mode mode, boolean asTestUser, List<String> args, Path tmp)
            throws Exception {
        Path classes = strata.home.resolve("load-driver");
        if (!Files.isDirectory(classes)) {
            Path built = Path.of("target/test-classes/runtime/cli/load").toAbsolutePath();
            Installation.exec(List.of("mkdir", "-p", classes.resolve("runtime/cli").toString()));
            Installation.exec(List.of("cp", "-r", built.toString(), classes.resolve("runtime/cli").toString()));
            Installation.exec(List.of("chmod", "-R", "a+rX", classes.toString()));
        }
        Path dist = strata.home.resolve("runtime.cli/target/dist");
        List<String> cmd = new ArrayList<>();
        if (asTestUser) cmd.addAll(List.of("runuser", "-u", Installation.TEST_USER, "--"));
        cmd.addAll(List.of("env", "-i", "PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin", "LANG=C.UTF-8",
                "HOME=" + (asTestUser ? "/home/" + Installation.TEST_USER : System.getProperty("user.home")),
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-XX:+UseSerialGC", "-Djava.io.tmpdir=" + tmp,
                "--enable-native-access=ALL-UNNAMED,runtime.api,runtime.core",
                "-Dstrata.helper=" + dist.resolve("libexec/strata-helper"), "-p", dist.resolve("lib").toString(),
                "--add-modules", "ALL-MODULE-PATH", "-cp", classes.toString(), LoadDriver.class.getName()));
        cmd.addAll(args);
        Process p = new ProcessBuilder(cmd).directory(strata.home.toFile()).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        Map<String, String> figures = new LinkedHashMap<>();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = out.readLine()) != null; ) {
                if (!line.startsWith("load: ")) continue;
                int eq = line.indexOf('=');
                figures.put(line.substring(6, eq), line.substring(eq + 1));
            }
        }
        assertTrue(p.waitFor(20, TimeUnit.MINUTES), "the load driver did not finish");
        assertEquals(0, p.exitValue(), mode + ": the load driver failed (its stderr is above); so far: " + figures);
        return figures;
    }

    private static List<String> list(Path dir) throws Exception {
        if (!Files.isDirectory(dir)) return List.of();
        try (var s = Files.list(dir)) {
            return s.map(Path::toString).toList();
        }
    }
}
