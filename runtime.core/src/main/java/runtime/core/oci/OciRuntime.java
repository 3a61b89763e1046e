package runtime.core.oci;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;

import runtime.api.sys.ErrnoException;
import runtime.api.sys.Posix;
import runtime.api.sys.WaitStatus;
import runtime.core.cgroups.Cgroup;
import runtime.core.cgroups.CgroupUsage;
import runtime.core.cgroups.Limits;
import runtime.core.launch.LaunchException;
import runtime.core.launch.Launcher;
import runtime.core.launch.Timings;

/**
 * The OCI runtime operations (runc's command-line contract) over a {@link StateStore}: create a
 * container stopped before its command, start it, report its state, signal it, delete it, and run
 * more processes in it. Every process is started by the helper from a plan made by {@link OciPlans}.
 */
public final class OciRuntime {
    private static final int O_RDONLY_NONBLOCK = 04000;

    private final StateStore store;
    private final Launcher launcher;
    private final java.util.Map<Integer, Integer> stdio;
    private final Consumer<String> warn;

    private final Consumer<String> debug;

    /**
     * @param stdio the container's standard descriptors from the caller's (child descriptor to one of this
     *              process's; empty: this process's own 0, 1, 2)
     */
    public OciRuntime(StateStore store, Launcher launcher, java.util.Map<Integer, Integer> stdio, Consumer<String> warn, Consumer<String> debug) {
        this.store = store;
        this.launcher = launcher;
        this.stdio = java.util.Map.copyOf(stdio);
        this.warn = warn;
        this.debug = debug;
    }

    private void describe(List<runtime.api.plan.SetupOp> plan) {
        for (int i = 0; i < plan.size(); i++) debug.accept("plan step " + i + ": " + plan.get(i).describe());
    }

    /** @param attached keeps a relay process as strata's child that ends as the container's process does ({@code run}) */
    public record CreateOptions(Path bundle, Optional<Path> pidFile, Optional<Path> consoleSocket, int preservedFds, boolean attached) {}

    /**
     * Creates container {@code id}: its process is set up and waits for {@link #start}. Returns it (and,
     * attached, the relay to wait for).
     */
    public Launcher.OciProcess create(String id, CreateOptions options) throws IOException, LaunchException {
        Path bundle = options.bundle().normalize();
        if (!bundle.isAbsolute()) throw new IllegalArgumentException("the bundle path must be absolute: " + bundle);
        OciSpec spec = OciSpec.read(bundle);
        CommandLookup.check(spec);
        ConfigChecks.check(spec);
        // Before anything is made: a bad namespace path or a host sysctl leaves nothing behind.
        ConfigChecks.checkPaths(spec);
        Path dir = store.reserve(id);
        long pid = -1;
        Launcher.OciProcess process = null;
        Cgroup cgroup = null;
        try {
            Files.copy(bundle.resolve("config.json"), dir.resolve("config.json"), StandardCopyOption.REPLACE_EXISTING);
            Optional<String> cgroupsPath = cgroupsPath(spec, id);
            // Made before the plan runs: the container's cgroup mount shows its own group.
            cgroup = makeCgroup(spec, cgroupsPath);
            var plan = OciPlans.create(spec, new OciPlans.CreateRequest(dir.resolve(StateStore.START_FIFO), options.consoleSocket(),
                    options.preservedFds(), !options.attached(), cgroup == null ? Optional.empty() : cgroupsPath));
            describe(plan);
            Optional<String> groupPath = cgroup == null ? Optional.empty() : cgroupsPath;
            Instant created = Instant.now();
            // prestart and createRuntime hooks run while the process waits at its sync step: its namespaces
            // exist, pivot_root and the createContainer hooks have not happened yet (the spec's order). The
            // state they see is "creating" (runc says so too).
            Launcher.ReadyHandler runtimeHooks = hostPid -> {
                ContainerState creating = new ContainerState(id, hostPid, ProcessInfo.startTime(hostPid), bundle, spec.rootPath(),
                        created, groupPath, spec.annotations(), spec.ociVersion());
                String json = creating.json(ContainerState.Status.CREATED).put("status", "creating").toString();
                try {
                    Hooks.run(spec, "prestart", json);
                    Hooks.run(spec, "createRuntime", json);
                } catch (IOException e) {
                    throw new LaunchException(e.getMessage(), 125, e);
                }
            };
            process = launcher.startOci(plan, options.preservedFds(), stdio, runtimeHooks, new Timings());
            pid = process.pid();
            if (process.helper() != pid && !options.attached()) reapQuietly(process.child());
            if (cgroup != null) cgroup.add(pid);
            ContainerState state = new ContainerState(id, pid, ProcessInfo.startTime(pid), bundle, spec.rootPath(), created,
                    groupPath, spec.annotations(), spec.ociVersion());
            store.save(state);
            if (options.pidFile().isPresent()) writePidFile(options.pidFile().get(), pid);
            return process;
        } catch (IOException | LaunchException | RuntimeException e) {
            if (pid > 0) kill(pid, Posix.SIGKILL);
            if (cgroup != null) cgroup.remove();
            store.remove(id);
            throw e;
        }
    }

    /** Lets a created container's process exec its command (it waits opening the start fifo for writing). */
    public void start(String id) throws IOException {
        ContainerState state = store.load(id);
        Path dir = store.directory(id);
        ContainerState.Status status = state.status(dir);
        if (status != ContainerState.Status.CREATED) {
            throw new IllegalArgumentException("cannot start a container that is " + status.text() + " (only a created one)");
        }
        Path fifo = dir.resolve(StateStore.START_FIFO);
        // As runc: a blocking open meets the process's own (it waits opening for writing), then a blocking
        // read takes its byte. Another thread watches the process: if it dies before opening its end, the
        // open would wait forever, so the watcher opens the write end itself to release it.
        java.util.concurrent.CompletableFuture<Boolean> started = new java.util.concurrent.CompletableFuture<>();
        Thread reader = Thread.ofPlatform().daemon().start(() -> {
            try (var in = Files.newInputStream(fifo)) {
                started.complete(in.read() == '0');
            } catch (IOException e) {
                started.completeExceptionally(e);
            }
        });
        while (!started.isDone()) {
            if (!ProcessInfo.alive(state.pid(), state.startTime())) {
                try {
                    int w = Posix.open(fifo.toString(), Posix.O_WRONLY | O_RDONLY_NONBLOCK, 0);
                    Posix.close(w);
                } catch (ErrnoException e) {
                    // ENXIO: no reader waiting (it got the process's end already)
                }
                break;
            }
            try {
                // Not a sleep: returns as soon as the byte is read (a 1 ms sleep cost every start its ms).
                started.get(1, java.util.concurrent.TimeUnit.MILLISECONDS);
            } catch (java.util.concurrent.TimeoutException | java.util.concurrent.ExecutionException e) {
                // still waiting, or failed: the get below reports it
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        boolean ok;
        try {
            ok = started.get(5, java.util.concurrent.TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            throw new IOException("read " + fifo + ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted");
        }
        if (!ok) throw new IllegalArgumentException("container " + id + " stopped before it started");
        Files.deleteIfExists(fifo);
        Hooks.run(savedSpec(id), "poststart", state.json(ContainerState.Status.RUNNING).toString());
    }

    /** The runtime spec's state of {@code id}. */
    public String state(String id) throws IOException {
        ContainerState state = store.load(id);
        return state.json(state.status(store.directory(id))).toPrettyString();
    }

    public List<ContainerState> list() throws IOException {
        List<ContainerState> states = new ArrayList<>();
        for (String id : store.ids()) {
            try {
                states.add(store.load(id));
            } catch (IOException | RuntimeException e) {
                warn.accept("container " + id + ": unreadable state: " + e.getMessage());
            }
        }
        return states;
    }

    public ContainerState.Status status(ContainerState state) {
        return state.status(store.directory(state.id()));
    }

    /** Sends {@code signal} to the container's process, or with {@code all} to every process of its pid namespace. */
    public void kill(String id, int signal, boolean all) throws IOException {
        ContainerState state = store.load(id);
        if (state.status(store.directory(id)) == ContainerState.Status.STOPPED) {
            throw new IllegalArgumentException("container " + id + " is not running");
        }
        if (all) {
            for (long pid : processes(state)) kill(pid, signal);
        }
        kill(state.pid(), signal);
    }

    /** Removes a stopped container (with {@code force}, kills it first; an unknown id is then fine too). */
    public void delete(String id, boolean force) throws IOException {
        ContainerState state;
        try {
            state = store.load(id);
        } catch (IllegalArgumentException e) {
            if (force) {
                store.remove(id);
                return;
            }
            throw e;
        }
        Path dir = store.directory(id);
        ContainerState.Status status = state.status(dir);
        if (status != ContainerState.Status.STOPPED) {
            if (!force) throw new IllegalArgumentException("cannot delete container " + id + " that is not stopped: " + status.text());
            for (long pid : processes(state)) kill(pid, Posix.SIGKILL);
            kill(state.pid(), Posix.SIGKILL);
            // A frozen task dies of SIGKILL only once thawed (runc thaws after signalling too).
            if (status == ContainerState.Status.PAUSED) group(state, "delete").freeze(false);
            for (int i = 0; i < 5000 && ProcessInfo.alive(state.pid(), state.startTime()); i++) sleepMillis(1);
        }
        OciSpec spec = null;
        try {
            spec = savedSpec(id);
        } catch (IOException | RuntimeException e) {
            warn.accept("container " + id + ": no saved config.json, poststop hooks skipped");
        }
        if (state.cgroupsPath().isPresent()) {
            try {
                Cgroup.at(state.cgroupsPath().get(), Limits.NONE).remove();
            } catch (IOException | RuntimeException e) {
                warn.accept("remove cgroup " + state.cgroupsPath().get() + ": " + e.getMessage());
            }
        }
        store.remove(id);
        if (spec != null) {
            try {
                Hooks.run(spec, "poststop", state.json(ContainerState.Status.STOPPED).toString());
            } catch (IOException e) {
                warn.accept(e.getMessage());
            }
        }
    }

    /** Freezes every process of a created or running container (its cgroup's freezer), as runc's pause. */
    public void pause(String id) throws IOException {
        ContainerState state = store.load(id);
        ContainerState.Status status = status(state);
        if (status != ContainerState.Status.RUNNING && status != ContainerState.Status.CREATED) {
            throw new IllegalArgumentException("cannot pause container " + id + ": it is " + status.text() + " (only a created or running one)");
        }
        group(state, "pause").freeze(true);
    }

    /** Thaws a paused container: it is created or running again, as it was. */
    public void resume(String id) throws IOException {
        ContainerState state = store.load(id);
        ContainerState.Status status = status(state);
        if (status != ContainerState.Status.PAUSED) {
            throw new IllegalArgumentException("cannot resume container " + id + ": it is " + status.text() + ", not paused");
        }
        group(state, "resume").freeze(false);
    }

    /**
     * The host pids of the container's processes, sorted: those in its cgroup (runc's answer; exec'd ones
     * joined it), else those of its pid namespace, else its first process alone.
     */
    public List<Long> ps(String id) throws IOException {
        ContainerState state = store.load(id);
        if (status(state) == ContainerState.Status.STOPPED) throw new IllegalArgumentException("container " + id + " is not running");
        Optional<Cgroup> group = state.cgroupsPath().isPresent() ? Cgroup.existing(state.cgroupsPath().get()) : Optional.empty();
        if (group.isPresent()) return group.get().pids();
        List<Long> pids = new ArrayList<>(processes(state));
        if (!pids.contains(state.pid())) pids.add(state.pid());
        pids.sort(null);
        return pids;
    }

    /** runc's {@code events --stats} event: {"type":"stats","id":ID,"data":{cpu, memory, pids, ...}}. */
    public ObjectNode stats(String id) throws IOException {
        ContainerState state = store.load(id);
        if (status(state) == ContainerState.Status.STOPPED) throw new IllegalArgumentException("container with id " + id + " is not running");
        ObjectNode event = new ObjectMapper().createObjectNode();
        event.put("type", "stats");
        event.put("id", id);
        event.set("data", CgroupUsage.of(group(state, "events")));
        return event;
    }

    /**
     * runc's {@code events} stream: a stats event every {@code interval}, an "oom" event as soon as the
     * kernel's OOM killer counter of the group rises; ends when the container stops.
     */
    public void events(String id, java.time.Duration interval, Consumer<String> out) throws IOException {
        ContainerState state = store.load(id);
        if (status(state) == ContainerState.Status.STOPPED) throw new IllegalArgumentException("container with id " + id + " is not running");
        long nextStats = System.nanoTime();
        long kills = oomKills(state);
        while (status(state) != ContainerState.Status.STOPPED) {
            long k = oomKills(state);
            if (k > kills) out.accept("{\"type\":\"oom\",\"id\":" + TextNode.valueOf(id) + "}");
            kills = k;
            if (System.nanoTime() >= nextStats) {
                try {
                    out.accept(stats(id).toString());
                } catch (IllegalArgumentException stopped) {
                    return;
                }
                nextStats = System.nanoTime() + interval.toNanos();
            }
            sleepMillis(Math.min(100, Math.max(1, interval.toMillis())));
        }
    }

    /** The group's OOM kills so far (v1 memory.oom_control, v2 memory.events), 0 where unknown. */
    private static long oomKills(ContainerState state) throws IOException {
        if (state.cgroupsPath().isEmpty()) return 0;
        Optional<Path> memory = Cgroup.existing(state.cgroupsPath().get()).flatMap(g -> g.directory("memory"));
        if (memory.isEmpty()) return 0;
        for (String file : List.of("memory.oom_control", "memory.events")) {
            Path f = memory.get().resolve(file);
            if (!Files.exists(f)) continue;
            for (String line : Files.readAllLines(f)) {
                if (line.startsWith("oom_kill ")) return Long.parseLong(line.substring(9).strip());
            }
        }
        return 0;
    }

    /**
     * Writes new {@code resources} (config.json's linux.resources shape, the fields to change) into a
     * running container's group, as runc's update does, and keeps them in its saved config.json, so a
     * later update changes only what it names. v1 memory: when the new limit is above the current
     * memory+swap limit, that one is raised first (the kernel keeps memsw >= limit).
     */
    public void update(String id, JsonNode resources) throws IOException {
        if (!resources.isObject()) throw new IllegalArgumentException("the resources must be a JSON object (config.json's linux.resources)");
        ContainerState state = store.load(id);
        if (status(state) == ContainerState.Status.STOPPED) throw new IllegalArgumentException("container " + id + " is not running");
        Cgroup group = group(state, "update");
        List<CgroupSettings.Write> writes = new ArrayList<>(group.unified() ? CgroupSettings.v2(resources) : CgroupSettings.v1(resources));
        if (!group.unified()) raiseSwapFirst(group, writes);
        for (CgroupSettings.Write w : writes) write(group, w);
        Path saved = store.directory(id).resolve("config.json");
        ObjectMapper mapper = new ObjectMapper();
        ObjectNode config = (ObjectNode) mapper.readTree(saved.toFile());
        ObjectNode linux = config.path("linux").isObject() ? (ObjectNode) config.path("linux") : config.putObject("linux");
        JsonNode old = linux.path("resources");
        ObjectNode merged = old.isObject() ? (ObjectNode) old.deepCopy() : mapper.createObjectNode();
        merge(merged, resources);
        linux.set("resources", merged);
        Path tmp = saved.resolveSibling("config.json.tmp");
        Files.writeString(tmp, config.toPrettyString());
        Files.move(tmp, saved, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    private static void raiseSwapFirst(Cgroup group, List<CgroupSettings.Write> writes) throws IOException {
        Optional<CgroupSettings.Write> limit = writes.stream().filter(w -> w.file().equals("memory.limit_in_bytes")).findFirst();
        Optional<CgroupSettings.Write> swap = writes.stream().filter(w -> w.file().equals("memory.memsw.limit_in_bytes")).findFirst();
        Optional<Path> memory = group.directory("memory");
        if (limit.isEmpty() || swap.isEmpty() || memory.isEmpty() || !Files.exists(memory.get().resolve("memory.memsw.limit_in_bytes"))) return;
        long current = Long.parseLong(Files.readString(memory.get().resolve("memory.memsw.limit_in_bytes")).strip());
        long wanted = Long.parseLong(limit.get().value());
        if (wanted == -1 || wanted > current) {
            writes.remove(swap.get());
            writes.add(writes.indexOf(limit.get()), swap.get());
        }
    }

    /** Fields of {@code changes} over {@code into}, objects merged field by field (arrays and values replace). */
    private static void merge(ObjectNode into, JsonNode changes) {
        changes.properties().forEach(e -> {
            if (e.getValue().isObject() && into.path(e.getKey()).isObject()) {
                merge((ObjectNode) into.get(e.getKey()), e.getValue());
            } else {
                into.set(e.getKey(), e.getValue());
            }
        });
    }

    /** The container's own group, which {@code what} needs; one line saying why when it has none. */
    private static Cgroup group(ContainerState state, String what) throws IOException {
        Optional<Cgroup> group = state.cgroupsPath().isPresent() ? Cgroup.existing(state.cgroupsPath().get()) : Optional.empty();
        return group.orElseThrow(() -> new IllegalArgumentException(what + ": container " + state.id()
                + " has no cgroup of its own (a rootless container on a host without a delegated cgroup v2 tree); run it as root"));
    }

    public record ExecOptions(OciSpec.Process process, Optional<Path> pidFile, Optional<Path> consoleSocket, boolean detach,
                              int preservedFds) {}

    /**
     * Runs one more process in a running container. Detached, returns 0 once it runs; attached, waits and
     * returns its exit status (128+N for signal N).
     */
    public int exec(String id, ExecOptions options) throws IOException, LaunchException {
        ContainerState state = store.load(id);
        ContainerState.Status current = state.status(store.directory(id));
        if (current != ContainerState.Status.RUNNING) {
            throw new IllegalArgumentException("cannot exec in container " + id + ": it is " + current.text() + " (only a running one)");
        }
        OciSpec spec = savedSpec(id);
        var plan = OciPlans.exec(spec, options.process(), state.pid(), options.consoleSocket(), options.detach(), options.preservedFds());
        describe(plan);
        Launcher.OciProcess process = launcher.startOci(plan, options.preservedFds(), stdio, hostPid -> {}, new Timings());
        if (state.cgroupsPath().isPresent()) {
            try {
                Cgroup.at(state.cgroupsPath().get(), Limits.NONE).add(process.pid());
            } catch (IOException | RuntimeException e) {
                // A short command may be gone already: nothing left to account for.
                if (ProcessInfo.startTime(process.pid()) >= 0) warn.accept("cgroup " + state.cgroupsPath().get() + ": " + e.getMessage());
            }
        }
        if (options.pidFile().isPresent()) writePidFile(options.pidFile().get(), process.pid());
        if (options.detach()) {
            if (process.helper() != process.pid()) reapQuietly(process.child());
            return 0;
        }
        try {
            WaitStatus status = process.child().waitFor();
            return status.exited() ? status.exitCode() : 128 + status.signal();
        } catch (ErrnoException e) {
            throw new IOException("wait for the process: " + e.getMessage());
        }
    }

    /** Waits for an attached container's relay; its exit status, 128+N for signal N. */
    public static int await(Launcher.OciProcess process) throws IOException {
        try {
            WaitStatus status = process.child().waitFor();
            return status.exited() ? status.exitCode() : 128 + status.signal();
        } catch (ErrnoException e) {
            throw new IOException("wait for the container: " + e.getMessage());
        }
    }

    /** The container's config.json as it was at create. */
    public OciSpec savedSpec(String id) throws IOException {
        return OciSpec.read(store.directory(id));
    }

    private Optional<String> cgroupsPath(OciSpec spec, String id) {
        if (spec.linux().cgroupsPath().isPresent()) {
            String path = spec.linux().cgroupsPath().get();
            // systemd's slice:prefix:name form: without systemd here, the same place as a plain path.
            if (path.contains(":")) {
                String[] parts = path.split(":");
                path = "/" + parts[0] + "/" + parts[1] + "-" + parts[2] + ".scope";
            }
            return Optional.of(path);
        }
        return Optional.of("/strata-oci/" + id);
    }

    /**
     * Makes the container's cgroup with its resources written (the process joins it once it exists). Only
     * real root may; rootless, limits cannot be set on hosts without a delegated cgroup v2 tree, and the
     * container runs without its own group (as runc and crun do there), unless it asked for limits.
     * A setting whose controller or file this host lacks is refused, as runc refuses it.
     */
    private Cgroup makeCgroup(OciSpec spec, Optional<String> path) throws IOException {
        boolean v2 = Files.exists(Path.of("/sys/fs/cgroup/cgroup.controllers"));
        List<CgroupSettings.Write> writes = new ArrayList<>(v2 ? CgroupSettings.v2(spec.linux().resources()) : CgroupSettings.v1(spec.linux().resources()));
        // Real root's containers get the devices controller's list (deny by default) as runc's do: without
        // it, root in the container with CAP_MKNOD could make and open the host's disks or /dev/mem. A
        // user namespace's root cannot open a node it made (the kernel refuses), so rootless needs none.
        // cgroup v2 has no devices files (a BPF program would be needed): not enforced there yet.
        if (!v2 && UserNamespaces.hostRoot() && Files.isDirectory(Path.of("/sys/fs/cgroup/devices"))) {
            writes.addAll(CgroupSettings.devicesV1(spec.linux().resources(), spec.linux().devices()));
        } else if (v2 && spec.linux().resources().path("devices").size() > 0) {
            debug.accept("linux.resources.devices: not enforced on cgroup v2 (no BPF device program)");
        }
        // No group asked for and nothing to write: the container stays in its caller's group (conmon's, the
        // shell's), as crun without a cgroup manager and `strata run` do. A cgroup v1 host pays an RCU grace
        // period for the first write to cgroup.procs, 10-20 ms of a 25 ms create here (runc pays it too).
        if (path.isEmpty() || (spec.linux().cgroupsPath().isEmpty() && writes.isEmpty())) return null;
        Cgroup cgroup;
        try {
            cgroup = Cgroup.at(path.get(), Limits.NONE);
        } catch (IOException | RuntimeException e) {
            if (UserNamespaces.hostRoot()) throw new IOException("cgroup " + path.get() + ": " + e.getMessage(), e);
            // The container's stderr may be ours: only say so when limits were asked for and are lost.
            if (!writes.isEmpty()) warn.accept("resource limits ignored: no cgroup for a rootless container here (" + e.getMessage() + ")");
            else debug.accept("no cgroup (rootless): " + e.getMessage());
            return null;
        }
        try {
            for (CgroupSettings.Write w : writes) write(cgroup, w);
        } catch (IOException | RuntimeException e) {
            cgroup.remove();
            throw e;
        }
        return cgroup;
    }

    private static void write(Cgroup cgroup, CgroupSettings.Write w) throws IOException {
        String field = "config.json: linux.resources." + w.field();
        Path dir = cgroup.directory(w.controller()).orElseThrow(() ->
                new IllegalArgumentException(field + " needs the " + w.controller() + " cgroup controller, which this host does not have"));
        Path file = dir.resolve(w.file());
        if (!Files.exists(file) && w.skippable()) return;
        if (!Files.exists(file)) throw new IllegalArgumentException(field + ": this host's cgroups have no " + w.file());
        try {
            Files.writeString(file, w.value());
        } catch (IOException e) {
            throw new IllegalArgumentException(field + ": " + w.file() + " refuses " + w.value() + " ("
                    + (e.getMessage() == null ? "write failed" : e.getMessage().replace(file.toString(), "").replace(": ", "").strip()) + ")");
        }
    }

    /** The host pids of the container's processes: those in its pid namespace when it has its own, else just its first. */
    private static List<Long> processes(ContainerState state) throws IOException {
        String ns = ProcessInfo.namespace(state.pid(), "pid");
        String ours = ProcessInfo.namespace(Posix.getpid(), "pid");
        List<Long> pids = new ArrayList<>();
        if (ns == null || ns.equals(ours)) return pids;
        try (Stream<Path> s = Files.list(Path.of("/proc"))) {
            for (Path p : s.toList()) {
                String name = p.getFileName().toString();
                if (!name.chars().allMatch(Character::isDigit)) continue;
                long pid = Long.parseLong(name);
                if (ns.equals(ProcessInfo.namespace(pid, "pid"))) pids.add(pid);
            }
        }
        return pids;
    }

    private static void kill(long pid, int signal) {
        try {
            Posix.kill(pid, signal);
        } catch (ErrnoException e) {
            // gone already
        }
    }

    private static void reapQuietly(runtime.core.launch.Spawner.Child child) {
        try {
            child.waitFor();
        } catch (ErrnoException e) {
            // not our child (no pid namespace: the helper is the command itself and must run on)
        }
    }

    private static void writePidFile(Path file, long pid) throws IOException {
        Path abs = file; // absolute: the command line resolved it against the caller's directory
        Path tmp = abs.resolveSibling("." + abs.getFileName() + ".strata-tmp");
        Files.writeString(tmp, Long.toString(pid));
        Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    private static void sleepMillis(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
