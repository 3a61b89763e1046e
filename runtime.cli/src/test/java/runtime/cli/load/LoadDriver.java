package runtime.cli.load;

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
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.ObjectMapper;

import runtime.api.sys.Posix;
import runtime.core.Engine;
import runtime.core.cgroups.Limits;
import runtime.core.daemon.DaemonClient;
import runtime.core.launch.Container;
import runtime.core.launch.ContainerPlans;
import runtime.core.launch.Timings;
import runtime.core.store.Layer;

/**
 * The warm JVM of LoadIT, started as root or as the unprivileged test user on strata's module path (so it
 * runs as strata does, not 1,000 cold strata processes): container start/stop cycles through
 * {@link Engine} in plash mode and isolated (some on a FUSE driver, some with slirp4netns, as root some in
 * a pids cgroup), then many containers alive at once, stopped with SIGKILL; then, when given a daemon,
 * create/stop/delete cycles through its socket with the daemon's heap measured after a full GC before and
 * after. It checks what only it can see (its own descriptors, children and zombies, its mount table) and
 * prints every figure and leftover as {@code load: KEY=VALUE} lines for LoadIT, which checks the host side
 * (processes, mounts, cgroups) once this JVM has ended.
 *
 * <p>usage: LoadDriver DATA RUNTIME_DIR ROOTFS_TAR CYCLES CONCURRENT [SOCKET DAEMON_PID DAEMON_CYCLES]
 */
public final class LoadDriver {
    private static final List<String> FUSE_DRIVERS = List.of("fuse-overlayfs", "unionfs-fuse");
    private static final List<String> PATH = List.of("PATH=/bin:/usr/bin");

    private final Engine engine;
    private final Layer image;
    private final Path data;
    private final Path runtimeDir;
    private final List<String> fuse = new ArrayList<>();
    private final boolean root = Posix.getuid() == 0;
    private final boolean slirp = Files.isExecutable(Path.of("/usr/bin/slirp4netns"));
    private final List<String> isolatedIds = Collections.synchronizedList(new ArrayList<>());

    private LoadDriver(Engine engine, Layer image, Path data, Path runtimeDir) {
        this.engine = engine;
        this.image = image;
        this.data = data;
        this.runtimeDir = runtimeDir;
    }

    public static void main(String[] args) throws Exception {
        Path data = Path.of(args[0]);
        Path runtimeDir = Path.of(args[1]);
        int cycles = Integer.parseInt(args[3]);
        int concurrent = Integer.parseInt(args[4]);
        // Temp files go to java.io.tmpdir, a directory of the test's own (so all of it is checked, and other
        // processes' /tmp/strata-* are not); the container registry's fallback is the one path in /tmp itself.
        Path registryFallback = Path.of("/tmp", "strata-" + Posix.getuid());
        boolean registryFallbackExisted = Files.exists(registryFallback);
        Map<String, String> env = Map.of("STRATA_DATA", data.toString(), "XDG_RUNTIME_DIR", runtimeDir.toString(),
                "PATH", "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin", "HOME", System.getProperty("user.home"));
        try (Engine engine = new Engine(runtime.core.Caller.onOwnDescriptors(env, System.err))) {
            Layer image;
            try (InputStream in = Files.newInputStream(Path.of(args[2]))) {
                image = engine.store().importTar(in, "busybox");
            }
            report("image", image.id());
            LoadDriver d = new LoadDriver(engine, image, data, runtimeDir);
            d.findFuseDrivers();
            for (int i = 0; i < 20; i++) d.plash(i); // warm-up: classes, drivers, the JIT
            for (int i = 0; i < 20; i++) d.isolated(i);
            long fdsBefore = openDescriptors();

            long t = System.nanoTime();
            for (int i = 0; i < cycles; i++) d.plash(i);
            report("plash.cycles", cycles);
            report("plash.ms_per_cycle", String.format("%.1f", (System.nanoTime() - t) / 1e6 / cycles));

            t = System.nanoTime();
            for (int i = 0; i < cycles; i++) d.isolated(i);
            report("isolated.cycles", cycles);
            report("isolated.ms_per_cycle", String.format("%.1f", (System.nanoTime() - t) / 1e6 / cycles));

            t = System.nanoTime();
            d.concurrent(concurrent);
            report("concurrent.seconds", String.format("%.1f", (System.nanoTime() - t) / 1e9));

            if (args.length > 5) d.daemonCycles(Path.of(args[5]), Long.parseLong(args[6]), Integer.parseInt(args[7]));

            report("fds.before", fdsBefore);
            report("fds.after", openDescriptors());
            report("left.children", ProcessHandle.current().children().map(h -> h.pid() + " " + h.info().commandLine().orElse(""))
                    .toList());
            report("left.zombies", zombieChildren());
            // The daemon, still running, and whatever started it (runuser, with the store in its arguments) are not leftovers.
            Optional<String> daemonSocket = args.length > 5 ? Optional.of(args[5]) : Optional.empty();
            report("left.processes", processesMentioning(List.of(data.toString(), runtimeDir.toString(),
                    System.getProperty("strata.helper"))).stream().filter(p -> daemonSocket.map(s -> !p.contains(s)).orElse(true)).toList());
            report("left.own_mounts", Files.readAllLines(Path.of("/proc/self/mountinfo")).stream()
                    .filter(l -> l.contains(data.toString()) || l.contains(runtimeDir.toString())).toList());
            report("left.data_tmp", list(data.resolve("tmp")));
            report("left.container_records", list(runtimeDir.resolve("strata/containers")));
            report("isolated.registered", d.isolatedIds.size());
            report("left.cgroups", d.cgroupsLeft());
        }
        List<String> tmpLeft = new ArrayList<>(list(Path.of(System.getProperty("java.io.tmpdir"))));
        if (!registryFallbackExisted && Files.exists(registryFallback)) tmpLeft.add(registryFallback.toString());
        report("left.tmp", tmpLeft);
        report("done", "yes");
    }

    /** The FUSE drivers that mount here; each is then used for a tenth of the cycles. */
    private void findFuseDrivers() throws Exception {
        for (String name : FUSE_DRIVERS) {
            try {
                Container c = engine.run(image, List.of("true"), new Engine.RunOptions(Optional.of(name), "host", Path.of("/"), PATH,
                        List.of()), new Timings());
                if (c.waitFor().shellCode() == 0) fuse.add(name);
            } catch (Exception e) {
                report("fuse." + name, "unavailable: " + e.getMessage());
            }
        }
        report("fuse", fuse);
    }

    private Optional<String> filesystem(int i) {
        if (fuse.isEmpty() || i % 10 < 8) return Optional.empty(); // the default: kernel overlay where it works
        return Optional.of(fuse.get(i % fuse.size()));
    }

    private Engine.RunOptions plashOptions(int i) {
        return new Engine.RunOptions(filesystem(i), "host", Path.of("/"), PATH, List.of());
    }

    private Engine.RunOptions isolatedOptions(int i) {
        boolean withSlirp = slirp && i % 10 == 1;
        Limits limits = root && i % 10 == 3 ? new Limits(OptionalLong.empty(), OptionalLong.of(64), OptionalDouble.empty()) : Limits.NONE;
        return new Engine.RunOptions(filesystem(i), withSlirp ? "slirp4netns" : "none", Path.of("/"), PATH, List.of())
                .isolated(new ContainerPlans.Isolation("box", false, Optional.empty(), List.of(), ContainerPlans.Security.NONE, limits));
    }

    private void plash(int i) throws Exception {
        check(i, engine.run(image, List.of("true"), plashOptions(i), new Timings()));
    }

    private void isolated(int i) throws Exception {
        Container c = engine.run(image, List.of("true"), isolatedOptions(i), new Timings());
        if (c.id() != null) isolatedIds.add(c.id());
        check(i, c);
    }

    private static void check(int i, Container c) throws Exception {
        int code = c.waitFor().shellCode();
        if (code != 0) throw new IllegalStateException("cycle " + i + " exited with " + code);
    }

    /**
     * {@code n} containers, half plash and half isolated, started from several threads and all alive at
     * once (counted), then stopped with SIGKILL, which must clean up like a normal end.
     */
    private void concurrent(int n) throws Exception {
        List<Container> started = Collections.synchronizedList(new ArrayList<>());
        try (ExecutorService pool = Executors.newFixedThreadPool(8)) {
            List<Future<?>> jobs = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                int k = i;
                jobs.add(pool.submit(() -> {
                    Engine.RunOptions o = k % 2 == 0 ? plashOptions(k) : isolatedOptions(k);
                    Container c = engine.run(image, List.of("sleep", "1000"), o, new Timings());
                    if (c.id() != null) isolatedIds.add(c.id());
                    started.add(c);
                    return null;
                }));
            }
            for (Future<?> job : jobs) job.get();
        }
        report("concurrent.alive", started.stream().filter(c -> ProcessHandle.of(c.pid()).map(ProcessHandle::isAlive).orElse(false))
                .count());
        // What the leak checks look for exists while the containers run (so those checks can fail).
        List<String> running = processesMentioning(List.of(data.toString(), runtimeDir.toString()));
        report("concurrent.fuse_processes", running.stream().filter(p -> p.contains(" fuse-overlayfs ") || p.contains(" unionfs")).count());
        report("concurrent.slirp_processes", running.stream().filter(p -> p.contains(" slirp4netns ")).count());
        report("concurrent.cgroups", cgroupsLeft().size());
        for (Container c : started) c.signal(Posix.SIGKILL);
        for (Container c : started) c.waitFor();
    }

    /**
     * create/stop/delete through the daemon: a warm-up, its heap after a full GC, as many cycles again, its
     * heap again; and its open descriptors and container logs before and after.
     */
    private void daemonCycles(Path socket, long pid, int cycles) throws Exception {
        DaemonClient client = new DaemonClient(socket);
        ObjectMapper json = new ObjectMapper();
        for (int i = 0; i < cycles; i++) daemonCycle(client, json, i);
        long heapBefore = heapAfterGc(pid);
        long fdsBefore = descriptorsOf(pid);
        long t = System.nanoTime();
        for (int i = 0; i < cycles; i++) daemonCycle(client, json, cycles + i);
        report("daemon.ms_per_cycle", String.format("%.1f", (System.nanoTime() - t) / 1e6 / cycles));
        report("daemon.cycles", cycles);
        report("daemon.heap_kib.before", heapBefore);
        report("daemon.heap_kib.after", heapAfterGc(pid));
        report("daemon.fds.before", fdsBefore);
        report("daemon.fds.after", descriptorsOf(pid));
        report("daemon.containers_listed", json.readTree(client.request("GET", "/containers", null).body()).size());
    }

    private void daemonCycle(DaemonClient client, ObjectMapper json, int i) throws Exception {
        String manifest = """
                image = "%s"
                name = "load-%d"
                network = "%s"
                command = ["sh", "-c", "trap 'exit 0' TERM; while :; do sleep 0.05; done"]
                """.formatted(image.id(), i, slirp && i % 10 == 1 ? "slirp4netns" : "none");
        DaemonClient.Reply created = client.request("POST", "/containers", json.writeValueAsString(Map.of("manifest", manifest)));
        if (created.status() != 201) throw new IllegalStateException("daemon create " + i + ": " + created.body());
        String id = json.readTree(created.body()).path("id").asText();
        DaemonClient.Reply stopped = client.request("POST", "/containers/" + id + "/stop?timeout=5", null);
        // 0 from the trap, or 143 when SIGTERM came before the shell had set it.
        int code = json.readTree(stopped.body()).path("exitCode").asInt(-1);
        if (!stopped.ok() || (code != 0 && code != 143)) throw new IllegalStateException("daemon stop " + i + ": " + stopped.body());
        DaemonClient.Reply deleted = client.request("DELETE", "/containers/" + id, null);
        if (!deleted.ok()) throw new IllegalStateException("daemon delete " + i + ": " + deleted.body());
    }

    /** The daemon's used heap in KiB after a full collection, from jcmd (the same user may attach). */
    private static long heapAfterGc(long pid) throws Exception {
        jcmd(pid, "GC.run");
        String info = jcmd(pid, "GC.heap_info");
        // Serial GC: "DefNew total NK, used UK" and "Tenured total NK, used UK" ("def new generation" and
        // "tenured generation" before JDK 23).
        Matcher m = Pattern.compile("(?m)^\\s*(DefNew|Tenured|def new generation|tenured generation)\\s+total \\d+K, used (\\d+)K")
                .matcher(info);
        long used = 0;
        int generations = 0;
        while (m.find()) {
            used += Long.parseLong(m.group(2));
            generations++;
        }
        if (generations != 2) throw new IllegalStateException("unexpected GC.heap_info: " + info);
        return used;
    }

    private static String jcmd(long pid, String command) throws Exception {
        Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
        Process p = new ProcessBuilder(jcmd.toString(), Long.toString(pid), command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) throw new IllegalStateException("jcmd " + command + ": " + out);
        return out;
    }

    /**
     * The open descriptors of {@code pid}, less the JVM's own class archives (jars and the JDK's modules
     * image): the JVM opens each once, when it first loads a class from it, which may be after the first
     * count, and keeps it open; a leak is anything else that grows.
     */
    private static long descriptorsOf(long pid) throws IOException {
        try (Stream<Path> s = Files.list(Path.of("/proc", Long.toString(pid), "fd"))) {
            return s.filter(fd -> !isClassArchive(fd)).count();
        }
    }

    private static boolean isClassArchive(Path fd) {
        try {
            String target = Files.readSymbolicLink(fd).toString();
            return target.endsWith(".jar") || target.endsWith("/lib/modules");
        } catch (IOException e) {
            return false; // closed since the listing: counted as open, as before
        }
    }

    private static long openDescriptors() throws IOException {
        return descriptorsOf(ProcessHandle.current().pid());
    }

    /**
     * "PID PROGRAM ARGS... (EXECUTABLE)" of every process whose command line or executable contains one of
     * {@code needles}, but this one and its ancestors (which started it with those paths as arguments).
     */
    public static List<String> processesMentioning(List<String> needles) throws IOException {
        java.util.Set<String> ours = new java.util.HashSet<>();
        for (Optional<ProcessHandle> h = Optional.of(ProcessHandle.current()); h.isPresent(); h = h.get().parent()) {
            ours.add(Long.toString(h.get().pid()));
        }
        List<String> found = new ArrayList<>();
        try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
            for (Path p : procs.filter(p -> p.getFileName().toString().chars().allMatch(Character::isDigit)).toList()) {
                if (ours.contains(p.getFileName().toString())) continue;
                String cmdline;
                try {
                    cmdline = new String(Files.readAllBytes(p.resolve("cmdline")), StandardCharsets.UTF_8).replace('\0', ' ');
                } catch (IOException e) {
                    continue; // ended meanwhile
                }
                try {
                    cmdline += " (" + Files.readSymbolicLink(p.resolve("exe")) + ")"; // the helper's argv[0] is just its name
                } catch (IOException e) {
                    // another user's process, or a kernel thread
                }
                if (needles.stream().anyMatch(cmdline::contains)) {
                    String program = cmdline.split(" ", 2)[0];
                    found.add(p.getFileName() + " " + program.substring(program.lastIndexOf('/') + 1) + " " + cmdline);
                }
            }
        }
        return found;
    }

    /** Children of this JVM that ended and were never reaped (state Z in /proc/PID/stat). */
    private static List<String> zombieChildren() throws IOException {
        String self = Long.toString(ProcessHandle.current().pid());
        List<String> found = new ArrayList<>();
        try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
            for (Path p : procs.filter(p -> p.getFileName().toString().chars().allMatch(Character::isDigit)).toList()) {
                String stat;
                try {
                    stat = Files.readString(p.resolve("stat"));
                } catch (IOException e) {
                    continue; // ended meanwhile
                }
                String[] after = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                if (after[0].equals("Z") && after[1].equals(self)) found.add(p.getFileName().toString());
            }
        }
        return found;
    }

    private static List<String> list(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) return List.of();
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).toList();
        }
    }

    /**
     * Groups named after our isolated containers, where strata makes them: below this process's own group
     * in each hierarchy (v1 controllers, the unified one in hybrid mode, or v2 alone).
     */
    private List<String> cgroupsLeft() throws IOException {
        Path root = Path.of("/sys/fs/cgroup");
        List<Path> parents = new ArrayList<>();
        for (String line : Files.readAllLines(Path.of("/proc/self/cgroup"))) {
            String[] f = line.split(":", 3);
            String rel = f[2].startsWith("/") ? f[2].substring(1) : f[2];
            List<String> hierarchies = new ArrayList<>(List.of(f[1].split(",")));
            hierarchies.add(f[1]);
            if (f[1].isEmpty()) hierarchies.add("unified");
            for (String h : hierarchies) parents.add(root.resolve(h).resolve(rel));
        }
        List<String> left = new ArrayList<>();
        for (Path parent : parents.stream().distinct().filter(Files::isDirectory).toList()) {
            for (String id : isolatedIds) {
                Path group = parent.resolve("strata-" + id);
                if (Files.exists(group)) left.add(group.toString());
            }
        }
        return left;
    }

    private static void report(String key, Object value) {
        System.out.println("load: " + key + "=" + value);
    }
}
