package runtime.core.cgroups;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One container's control group(s), made before its command runs and removed after it ended. On cgroup
 * v2 one directory holds every controller; on v1 (hybrid hosts) there is one per controller. New groups
 * nest below strata's own group of each hierarchy, so limits set on strata's caller still apply.
 */
public final class Cgroup implements ContainerGroup {
    private static final Path ROOT = Path.of("/sys/fs/cgroup");
    /** How long {@link #remove} waits for the group's last processes to end. */
    private static final java.time.Duration REMOVE_TIMEOUT = java.time.Duration.ofSeconds(2);

    private final List<Path> directories;
    private final Limits limits;
    private final boolean v2;

    private Cgroup(List<Path> directories, Limits limits, boolean v2) {
        this.directories = directories;
        this.limits = limits;
        this.v2 = v2;
    }

    /** Makes the group(s) for container {@code id} and writes the limits. */
    public static Cgroup create(String id, Limits limits) throws IOException {
        boolean v2 = Files.exists(ROOT.resolve("cgroup.controllers"));
        try {
            return v2 ? createV2(id, limits) : createV1(id, limits);
        } catch (AccessDeniedException e) {
            throw new IllegalStateException("resource limits need root or a delegated cgroup v2 subtree (" + (v2 ? "cgroup v2" : "cgroup v1")
                    + " here, and " + e.getFile() + " is not writable)");
        }
    }

    private static Cgroup createV1(String id, Limits limits) throws IOException {
        Map<String, Path> own = ownGroups();
        List<Path> dirs = new ArrayList<>();
        Cgroup group = new Cgroup(dirs, limits, false);
        try {
            if (limits.memoryBytes().isPresent()) {
                Path d = mkdir(ROOT.resolve("memory").resolve(rel(own.getOrDefault("memory", Path.of("/")))).resolve("strata-" + id));
                dirs.add(d);
                write(d.resolve("memory.limit_in_bytes"), Long.toString(limits.memoryBytes().getAsLong()));
                if (Files.exists(d.resolve("memory.memsw.limit_in_bytes"))) {
                    write(d.resolve("memory.memsw.limit_in_bytes"), Long.toString(limits.memoryBytes().getAsLong()));
                }
            }
            if (limits.pids().isPresent()) {
                Path d = mkdir(ROOT.resolve("pids").resolve(rel(own.getOrDefault("pids", Path.of("/")))).resolve("strata-" + id));
                dirs.add(d);
                write(d.resolve("pids.max"), Long.toString(limits.pids().getAsLong()));
            }
            if (limits.cpus().isPresent()) {
                Path cpu = Files.isDirectory(ROOT.resolve("cpu")) ? ROOT.resolve("cpu") : ROOT.resolve("cpu,cpuacct");
                Path d = mkdir(cpu.resolve(rel(own.getOrDefault("cpu", Path.of("/")))).resolve("strata-" + id));
                dirs.add(d);
                write(d.resolve("cpu.cfs_period_us"), "100000");
                write(d.resolve("cpu.cfs_quota_us"), Long.toString(Math.round(limits.cpus().getAsDouble() * 100000)));
            }
            return group;
        } catch (IOException | RuntimeException e) {
            group.remove();
            throw e;
        }
    }

    private static Cgroup createV2(String id, Limits limits) throws IOException {
        Path own = ownGroups().getOrDefault("", Path.of("/"));
        // Root may use the hierarchy's root, which is exempt from "no processes in inner groups".
        Path parent = Files.isWritable(ROOT.resolve("cgroup.subtree_control")) ? ROOT.resolve("strata") : ROOT.resolve(rel(own));
        mkdir(parent);
        write(parent.resolve("cgroup.subtree_control"), "+memory +pids +cpu");
        Path d = mkdir(parent.resolve("strata-" + id));
        Cgroup group = new Cgroup(List.of(d), limits, true);
        try {
            if (limits.memoryBytes().isPresent()) {
                write(d.resolve("memory.max"), Long.toString(limits.memoryBytes().getAsLong()));
                if (Files.exists(d.resolve("memory.swap.max"))) write(d.resolve("memory.swap.max"), "0");
            }
            if (limits.pids().isPresent()) write(d.resolve("pids.max"), Long.toString(limits.pids().getAsLong()));
            if (limits.cpus().isPresent()) {
                write(d.resolve("cpu.max"), Math.round(limits.cpus().getAsDouble() * 100000) + " 100000");
            }
            return group;
        } catch (IOException | RuntimeException e) {
            group.remove();
            throw e;
        }
    }

    /**
     * The existing group at {@code path} (an OCI cgroupsPath {@link #at} made): the directories of it that
     * are there, none made. Empty when there is none in any hierarchy (the container was never given one).
     */
    public static java.util.Optional<Cgroup> existing(String path) throws IOException {
        boolean v2 = Files.exists(ROOT.resolve("cgroup.controllers"));
        Path relative = rel(Path.of(path).normalize());
        List<Path> dirs = new ArrayList<>();
        if (v2) {
            if (Files.isDirectory(ROOT.resolve(relative))) dirs.add(ROOT.resolve(relative));
        } else {
            for (String controller : ownGroups().keySet()) {
                if (controller.isEmpty() || controller.startsWith("name=")) continue;
                Path hierarchy = ROOT.resolve(controller);
                if (!Files.isDirectory(hierarchy)) continue;
                Path d = hierarchy.toRealPath().resolve(relative);
                if (Files.isDirectory(d) && !dirs.contains(d)) dirs.add(d);
            }
        }
        return dirs.isEmpty() ? java.util.Optional.empty() : java.util.Optional.of(new Cgroup(dirs, Limits.NONE, v2));
    }

    /**
     * Whether the group at {@code path} is frozen (or freezing): v1's freezer.state, v2's cgroup.freeze.
     * A file read, no more: every {@code state} asks it.
     */
    public static boolean frozen(String path) {
        Path relative = rel(Path.of(path).normalize());
        try {
            if (Files.exists(ROOT.resolve("cgroup.controllers"))) return Files.readString(ROOT.resolve(relative).resolve("cgroup.freeze")).strip().equals("1");
            return !Files.readString(ROOT.resolve("freezer").resolve(relative).resolve("freezer.state")).strip().equals("THAWED");
        } catch (IOException e) {
            return false; // no freezer group: never paused
        }
    }

    /**
     * Freezes ({@code true}) or thaws every process of the group and waits until the kernel says it is
     * done (v1 passes through FREEZING; v2 reports "frozen 1" in cgroup.events).
     */
    public void freeze(boolean freeze) throws IOException {
        Path file;
        String value;
        if (v2) {
            file = directories.getFirst().resolve("cgroup.freeze");
            value = freeze ? "1" : "0";
        } else {
            Path d = directory("freezer").orElseThrow(() -> new IllegalStateException("this host has no freezer cgroup controller"));
            file = d.resolve("freezer.state");
            value = freeze ? "FROZEN" : "THAWED";
        }
        long deadline = System.nanoTime() + java.time.Duration.ofSeconds(10).toNanos();
        while (true) {
            write(file, value);
            boolean done = v2 ? Files.readString(file.resolveSibling("cgroup.events")).contains("frozen " + (freeze ? "1" : "0"))
                    : Files.readString(file).strip().equals(value);
            if (done) return;
            // A task that is forking or in an uninterruptible sleep holds v1 in FREEZING: writing again retries it.
            if (System.nanoTime() > deadline) throw new IOException((freeze ? "freeze " : "thaw ") + file.getParent() + ": still not done after 10 s");
            try {
                Thread.sleep(1);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted");
            }
        }
    }

    /** The pids of every process in the group and its subgroups (one hierarchy holds them all), sorted. */
    public List<Long> pids() throws IOException {
        Path d = directory("pids").or(() -> directory("freezer")).orElse(directories.getFirst());
        List<Long> pids = new ArrayList<>();
        try (var walk = Files.walk(d)) {
            for (Path procs : walk.filter(p -> p.getFileName().toString().equals("cgroup.procs")).toList()) {
                for (String line : Files.readAllLines(procs)) if (!line.isBlank()) pids.add(Long.parseLong(line.strip()));
            }
        }
        pids.sort(null);
        return pids;
    }

    /** Whether the one v2 tree (not v1 hierarchies) holds this group. */
    public boolean unified() {
        return v2;
    }

    /**
     * The group at {@code path} (an OCI cgroupsPath, relative to each hierarchy's root, e.g.
     * {@code /libpod_parent/libpod-ID}), made if missing, with {@code limits} written. On v1 every
     * hierarchy strata's own process is in gets the path, so tools that look for the container in any
     * controller (cpuacct, memory, pids, cpuset, ...) find it. A new cpuset group starts with no cpus
     * or memory nodes: each level made takes its parent's, as runc's do.
     */
    public static Cgroup at(String path, Limits limits) throws IOException {
        boolean v2 = Files.exists(ROOT.resolve("cgroup.controllers"));
        Path relative = rel(Path.of(path).normalize());
        List<Path> dirs = new ArrayList<>();
        Cgroup group = new Cgroup(dirs, limits, v2);
        try {
            if (v2) {
                Path d = ROOT.resolve(relative);
                Files.createDirectories(d);
                dirs.add(d);
                limits.memoryBytes().ifPresent(m -> writeQuietly(d.resolve("memory.max"), Long.toString(m)));
                limits.pids().ifPresent(n -> writeQuietly(d.resolve("pids.max"), Long.toString(n)));
                limits.cpus().ifPresent(c -> writeQuietly(d.resolve("cpu.max"), Math.round(c * 100000) + " 100000"));
                return group;
            }
            for (String controller : ownGroups().keySet()) {
                if (controller.isEmpty() || controller.startsWith("name=")) continue;
                Path hierarchy = ROOT.resolve(controller);
                if (!Files.isDirectory(hierarchy)) continue;
                hierarchy = hierarchy.toRealPath(); // cpu and cpuacct are one hierarchy, cpu,cpuacct
                Path d = hierarchy.resolve(relative);
                if (dirs.contains(d)) continue;
                if (controller.equals("cpuset")) makeCpuset(d);
                else Files.createDirectories(d);
                dirs.add(d);
            }
            for (Path d : dirs) {
                String name = d.subpath(3, 4).toString();
                if (name.equals("memory")) limits.memoryBytes().ifPresent(m -> writeQuietly(d.resolve("memory.limit_in_bytes"), Long.toString(m)));
                if (name.equals("pids")) limits.pids().ifPresent(n -> writeQuietly(d.resolve("pids.max"), Long.toString(n)));
                if (name.startsWith("cpu") && Files.exists(d.resolve("cpu.cfs_quota_us"))) {
                    limits.cpus().ifPresent(c -> {
                        writeQuietly(d.resolve("cpu.cfs_period_us"), "100000");
                        writeQuietly(d.resolve("cpu.cfs_quota_us"), Long.toString(Math.round(c * 100000)));
                    });
                }
            }
            return group;
        } catch (IOException | RuntimeException e) {
            group.remove();
            throw e;
        }
    }

    /** Makes the missing levels down to {@code group}, each with its parent's cpus and memory nodes. */
    private static void makeCpuset(Path group) throws IOException {
        if (Files.isDirectory(group)) return;
        makeCpuset(group.getParent());
        Files.createDirectory(group);
        for (String file : List.of("cpuset.cpus", "cpuset.mems")) {
            if (Files.readString(group.resolve(file)).isBlank()) write(group.resolve(file), Files.readString(group.getParent().resolve(file)).strip());
        }
    }

    /**
     * The group's directory for {@code controller}: on v2 the one directory when the controller is enabled
     * there, on v1 the one in that controller's hierarchy; empty when this host has no such controller.
     */
    public java.util.Optional<Path> directory(String controller) {
        for (Path d : directories) {
            if (v2) {
                try {
                    return List.of(Files.readString(d.getParent().resolve("cgroup.subtree_control")).strip().split(" ")).contains(controller)
                            ? java.util.Optional.of(d) : java.util.Optional.empty();
                } catch (IOException e) {
                    return java.util.Optional.empty();
                }
            }
            if (List.of(d.subpath(3, 4).toString().split(",")).contains(controller)) return java.util.Optional.of(d);
        }
        return java.util.Optional.empty();
    }

    private static void writeQuietly(Path file, String value) {
        try {
            Files.writeString(file, value);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** Moves {@code pid} (and so everything it starts) into the group(s). */
    @Override
    public void add(long pid) throws IOException {
        for (Path d : directories) write(d.resolve("cgroup.procs"), Long.toString(pid));
    }

    /** The limits and what the kernel counts now, for inspect. */
    public Map<String, String> report() {
        Map<String, String> r = new LinkedHashMap<>();
        limits.memoryBytes().ifPresent(m -> r.put("memory.limit", Long.toString(m)));
        limits.pids().ifPresent(p -> r.put("pids.limit", Long.toString(p)));
        limits.cpus().ifPresent(c -> r.put("cpus", Double.toString(c)));
        for (Path d : directories) {
            for (String f : v2 ? List.of("memory.current", "pids.current", "memory.events") : List.of("memory.usage_in_bytes", "pids.current", "memory.failcnt")) {
                Path p = d.resolve(f);
                if (Files.isReadable(p)) {
                    try {
                        r.put(f, Files.readString(p).strip().replace('\n', ' '));
                    } catch (IOException e) {
                        // gone with the container
                    }
                }
            }
        }
        return r;
    }

    /** Removes the (empty) group(s). */
    @Override
    public void remove() {
        long deadline = System.nanoTime() + REMOVE_TIMEOUT.toNanos();
        for (Path d : directories) {
            while (true) {
                try {
                    Files.deleteIfExists(d);
                    break;
                } catch (IOException busy) {
                    // Processes still ending: a container stopped with SIGKILL takes its pid namespace down
                    // only after strata has reaped the relay. Past the deadline the group stays (ids are
                    // random, so no later container meets it).
                    if (System.nanoTime() > deadline) break;
                    try {
                        Thread.sleep(10);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        break;
                    }
                }
            }
        }
    }

    /** This process's group in each hierarchy, from /proc/self/cgroup ("" is v2's). */
    private static Map<String, Path> ownGroups() throws IOException {
        Map<String, Path> groups = new LinkedHashMap<>();
        for (String line : Files.readAllLines(Path.of("/proc/self/cgroup"))) {
            String[] f = line.split(":", 3);
            if (f.length < 3) continue;
            for (String controller : f[1].split(",")) groups.put(controller, Path.of(f[2]));
        }
        return groups;
    }

    private static Path rel(Path absolute) {
        String s = absolute.toString();
        return Path.of(s.startsWith("/") ? s.substring(1) : s);
    }

    private static Path mkdir(Path p) throws IOException {
        if (!Files.isDirectory(p)) Files.createDirectory(p);
        return p;
    }

    private static void write(Path file, String value) throws IOException {
        Files.writeString(file, value);
    }
}
