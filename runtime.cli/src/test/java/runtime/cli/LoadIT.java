package runtime.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalLong;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import runtime.core.Engine;
import runtime.core.launch.Container;
import runtime.core.launch.ContainerPlans;
import runtime.core.launch.Timings;
import runtime.core.store.Layer;

/**
 * Load and leaks: one long-lived JVM drives {@link Engine} directly through 200 start/stop cycles
 * (plash mode and isolated, some isolated with slirp4netns and, as root, a pids cgroup) and 20 concurrent
 * containers, then checks that nothing stayed behind: no mount of the store in the host's mount table, no
 * child or zombie, no helper or slirp4netns process, no growth in open descriptors, no temp directory,
 * container record or cgroup.
 */
class LoadIT {
    static final int CYCLES = 200;
    static final int CONCURRENT = 20;

    static Path dir;
    static Engine engine;
    static Layer image;
    static Path helper;
    static Path runtimeDir;
    static Path data;
    static final List<String> containerIds = Collections.synchronizedList(new ArrayList<>());
    static final boolean root = runtime.api.sys.Posix.getuid() == 0;
    static final boolean slirp = Files.isExecutable(Path.of("/usr/bin/slirp4netns"));

    @BeforeAll
    static void setUp() throws Exception {
        Installation strata = Installation.get(); // for its busybox tar
        helper = Path.of("target/dist/libexec/strata-helper").toAbsolutePath();
        System.setProperty("strata.helper", helper.toString());
        dir = Files.createTempDirectory(Path.of("/tmp"), "strata-load-");
        data = dir.resolve("data");
        runtimeDir = Files.createDirectories(dir.resolve("run"));
        engine = new Engine(Map.of("STRATA_DATA", data.toString(), "XDG_RUNTIME_DIR", runtimeDir.toString(),
                "PATH", "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin", "HOME", System.getProperty("user.home")));
        try (InputStream in = Files.newInputStream(strata.rootfsTar)) {
            image = engine.store().importTar(in, "busybox");
        }
    }

    @AfterAll
    static void tearDown() throws Exception {
        if (engine != null) engine.close();
        if (dir != null) Installation.exec(List.of("rm", "-rf", dir.toString()));
    }

    private static Engine.RunOptions options(int i) {
        List<String> env = List.of("PATH=/bin:/usr/bin");
        if (i % 2 == 0) return new Engine.RunOptions(Optional.empty(), "host", Path.of("/"), env, List.of());
        boolean withSlirp = slirp && i % 20 == 1;
        runtime.core.cgroups.Limits limits = root && i % 10 == 3
                ? new runtime.core.cgroups.Limits(OptionalLong.empty(), OptionalLong.of(64), OptionalDouble.empty())
                : runtime.core.cgroups.Limits.NONE;
        return new Engine.RunOptions(Optional.empty(), withSlirp ? "slirp4netns" : "none", Path.of("/"), env, List.of())
                .isolated(new ContainerPlans.Isolation("box", false, Optional.empty(), List.of(),
                        ContainerPlans.Security.NONE, limits));
    }

    private static void cycle(int i, List<String> command) throws Exception {
        Container c = engine.run(image, command, options(i), new Timings());
        if (c.id() != null) containerIds.add(c.id());
        assertEquals(0, c.waitFor().shellCode(), "cycle " + i);
    }

    @Test
    void startStopCyclesAndConcurrentContainersLeaveNothingBehind() throws Exception {
        for (int i = 0; i < 20; i++) cycle(i, List.of("true")); // warm up: classes, drivers, linkers
        long fdsBefore = openDescriptors();
        long start = System.nanoTime();
        for (int i = 0; i < CYCLES; i++) cycle(i, List.of("true"));
        try (ExecutorService pool = Executors.newFixedThreadPool(CONCURRENT)) {
            List<Future<?>> jobs = new ArrayList<>();
            for (int i = 0; i < CONCURRENT; i++) {
                int n = i;
                jobs.add(pool.submit(() -> {
                    cycle(n, List.of("sh", "-c", "sleep 0.3"));
                    return null;
                }));
            }
            for (Future<?> job : jobs) job.get();
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        assertTrue(seconds < 120, "bounded: " + seconds + " s");

        long fdsAfter = openDescriptors();
        assertTrue(fdsAfter <= fdsBefore + 2, "descriptors grew from " + fdsBefore + " to " + fdsAfter);
        List<String> mounts = Files.readAllLines(Path.of("/proc/self/mountinfo")).stream()
                .filter(l -> l.contains(data.toString()) || l.contains(runtimeDir.toString())).toList();
        assertEquals(List.of(), mounts, "mounts of the store left in the host's mount table");
        assertEquals(List.of(), ProcessHandle.current().children().map(h -> h.pid() + " " + h.info().commandLine().orElse(""))
                .toList(), "children (or zombies) left");
        assertEquals(List.of(), strays(), "helper or slirp4netns processes left");
        assertEquals(List.of(), list(data.resolve("tmp")), "DATA/tmp");
        assertEquals(List.of(), list(runtimeDir.resolve("strata/containers")), "container records");
        assertTrue(containerIds.size() >= CYCLES / 2, "isolated containers were registered: " + containerIds.size());
        assertEquals(List.of(), cgroupsLeft(), "cgroups left");
    }

    private static long openDescriptors() throws IOException {
        try (Stream<Path> s = Files.list(Path.of("/proc/self/fd"))) {
            return s.count();
        }
    }

    /** Processes running our helper or naming our runtime directory (slirp4netns's API socket lives there). */
    private static List<String> strays() throws IOException {
        List<String> found = new ArrayList<>();
        try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
            for (Path p : procs.filter(p -> p.getFileName().toString().chars().allMatch(Character::isDigit)).toList()) {
                String cmdline;
                try {
                    cmdline = new String(Files.readAllBytes(p.resolve("cmdline")), StandardCharsets.UTF_8).replace('\0', ' ');
                } catch (IOException e) {
                    continue; // ended meanwhile
                }
                if (cmdline.contains(helper.toString()) || cmdline.contains(runtimeDir.toString())
                        || cmdline.contains(data.toString())) {
                    found.add(p.getFileName() + " " + cmdline);
                }
            }
        }
        return found;
    }

    private static List<Path> list(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) return List.of();
        try (Stream<Path> s = Files.list(dir)) {
            return s.toList();
        }
    }

    private static List<Path> cgroupsLeft() throws IOException {
        Path cg = Path.of("/sys/fs/cgroup");
        if (!Files.isDirectory(cg)) return List.of();
        List<String> names = containerIds.stream().map(id -> "strata-" + id).toList();
        try (Stream<Path> walk = Files.walk(cg, 4)) {
            return walk.filter(p -> names.contains(String.valueOf(p.getFileName()))).toList();
        } catch (java.io.UncheckedIOException e) {
            return List.of(); // a group removed while walking is not ours to report
        }
    }
}
