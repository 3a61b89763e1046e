package runtime.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import runtime.cli.Installation.Mode;
import runtime.cli.Installation.Result;

/**
 * {@code strata oci} against runc on the same bundles (busybox root filesystem, config.json from
 * {@code runc spec}, rootless from {@code runc spec --rootless}), as root and as the test user: the
 * exit code, stdout and stderr, the mounts the container sees (target, type, read-only; normalised as
 * {@link #mounts} explains), id maps and hostname must be the same; so must the states a container goes
 * through from create to delete. crun is no reference here: it refuses this machine's hybrid cgroups.
 */
class OciRuntimeDifferentialIT {
    private static final String PROBE = "echo out; echo err >&2; id -u; id -g; hostname; pwd; ulimit -n; echo \"FOO=$FOO\";"
            + " cat /proc/self/uid_map /proc/self/gid_map; grep -E '^Cap(Eff|Bnd)' /proc/self/status; cat /data/file 2>&1;"
            + " touch /data/new 2>&1; touch /new 2>&1; echo MOUNTS; cat /proc/self/mountinfo; exit 7";

    static Installation strata;

    @BeforeAll
    static void setUp() throws Exception {
        strata = Installation.get();
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/runc")) || Files.isExecutable(Path.of("/usr/sbin/runc")), "needs runc");
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void runcSpecBundleBehavesAlike(Mode mode) throws Exception {
        strata.assumeMode(mode);
        Path work = strata.newWorkDirectory(mode);
        Path bundle = bundle(mode, work, spec -> {
            ObjectNode process = (ObjectNode) spec.path("process");
            process.put("terminal", false);
            ArrayNode args = process.putArray("args");
            args.add("sh").add("-c").add(PROBE);
        });
        assertSameRun(mode, work, bundle);
    }

    /** The config fields podman sets beyond runc's defaults: binds with options, tmpfs, cwd, env, rlimits, user, hostname. */
    @ParameterizedTest
    @EnumSource(Mode.class)
    void customisedBundleBehavesAlike(Mode mode) throws Exception {
        strata.assumeMode(mode);
        Path work = strata.newWorkDirectory(mode);
        Path data = work.resolve("data");
        as(mode, "mkdir", data.toString());
        write(mode, data.resolve("file"), "from-host\n");
        Path bundle = bundle(mode, work, spec -> {
            ObjectNode process = (ObjectNode) spec.path("process");
            process.put("terminal", false);
            process.putArray("args").add("sh").add("-c").add(PROBE);
            process.put("cwd", "/scratch/sub");
            ((ArrayNode) process.path("env")).add("FOO=bar baz");
            ObjectNode rlimit = ((ArrayNode) process.path("rlimits")).addObject();
            rlimit.put("type", "RLIMIT_NOFILE");
            rlimit.put("soft", 512);
            rlimit.put("hard", 512);
            if (mode == Mode.ROOT) {
                ((ObjectNode) process.path("user")).put("uid", 65534).put("gid", 65534);
            }
            spec.put("hostname", "differential");
            ((ObjectNode) spec.path("root")).put("readonly", false);
            ArrayNode mounts = (ArrayNode) spec.path("mounts");
            ObjectNode bind = mounts.addObject();
            bind.put("destination", "/data");
            bind.put("type", "bind");
            bind.put("source", data.toString());
            bind.putArray("options").add("rbind").add("ro").add("nosuid").add("nodev").add("rprivate");
            ObjectNode tmpfs = mounts.addObject();
            tmpfs.put("destination", "/scratch");
            tmpfs.put("type", "tmpfs");
            tmpfs.put("source", "tmpfs");
            tmpfs.putArray("options").add("nosuid").add("size=1m").add("mode=1777");
        });
        assertSameRun(mode, work, bundle);
    }

    /**
     * Hooks run at their points: host ones see the state on stdin, createContainer in the container's
     * namespaces with the runtime's paths (it writes a host file, as runc's), startContainer in its root.
     */
    @ParameterizedTest
    @EnumSource(Mode.class)
    void hooksRunAtTheirPoints(Mode mode) throws Exception {
        strata.assumeMode(mode);
        Path work = strata.newWorkDirectory(mode);
        Path bundle = bundle(mode, work, spec -> {
            ObjectNode process = (ObjectNode) spec.path("process");
            process.put("terminal", false);
            process.putArray("args").add("cat").add("/tmp/start-container");
            ((ObjectNode) spec.path("root")).put("readonly", false);
            ObjectNode tmp = ((ArrayNode) spec.path("mounts")).addObject();
            tmp.put("destination", "/tmp");
            tmp.put("type", "tmpfs");
            tmp.put("source", "tmpfs");
            ObjectNode hooks = spec.putObject("hooks");
            hook(hooks, "createRuntime", "grep -o '\"status\": *\"[a-z]*\"' >> " + work.resolve("host-hooks"));
            hook(hooks, "createContainer", "echo create-container >> " + work.resolve("host-hooks"));
            hook(hooks, "startContainer", "echo start-container > /tmp/start-container");
            hook(hooks, "poststart", "echo poststart >> " + work.resolve("host-hooks"));
            hook(hooks, "poststop", "grep -o '\"status\": *\"[a-z]*\"' >> " + work.resolve("host-hooks"));
        });
        Result expected = run(mode, concat(runc(mode, work), "run", "--bundle", bundle.toString(), "hooks-runc"));
        String runcHostHooks = Files.readString(work.resolve("host-hooks")).replace(" ", "");
        Files.delete(work.resolve("host-hooks"));
        Result actual = run(mode, concat(strataOci(mode, work), "run", "--bundle", bundle.toString(), "hooks-strata"));
        assertEquals(0, expected.exitCode(), expected.err());
        assertEquals("start-container\n", expected.out());
        assertEquals(expected.out(), actual.out(), actual.err());
        assertEquals("\"status\":\"creating\"\ncreate-container\npoststart\n\"status\":\"stopped\"\n", runcHostHooks);
        // The same hooks, once each, in the same order (createRuntime before createContainer, as the spec says).
        assertEquals(runcHostHooks, Files.readString(work.resolve("host-hooks")).replace(" ", ""));
    }

    private static void hook(ObjectNode hooks, String kind, String script) {
        ObjectNode h = hooks.putArray(kind).addObject();
        h.put("path", "/bin/sh");
        h.putArray("args").add("sh").add("-c").add(script);
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void lifecycleStatesMatch(Mode mode) throws Exception {
        strata.assumeMode(mode);
        Path work = strata.newWorkDirectory(mode);
        Path bundle = commandBundle(mode, work, "sleep", "100");
        List<String> runc = lifecycle(mode, runc(mode, work), bundle);
        List<String> ours = lifecycle(mode, strataOci(mode, work), bundle);
        assertEquals(List.of("created", "running", "stopped", "gone"), runc, "runc's states here");
        assertEquals(runc, ours);
    }

    /**
     * linux.resources as runc writes them (root: rootless has no cgroup of its own here): cpu shares,
     * the quota's own period, cpuset, memory reservation, swappiness and the OOM killer, pids; what the
     * container reads from its cgroup mount must be what it reads under runc.
     */
    @ParameterizedTest
    @EnumSource(value = Mode.class, names = "ROOT")
    void cgroupResourcesAsRuncWritesThem(Mode mode) throws Exception {
        strata.assumeMode(mode);
        assumeTrue(!Files.exists(Path.of("/sys/fs/cgroup/cgroup.controllers")), "reads cgroup v1 files (this host's hierarchies)");
        Path work = strata.newWorkDirectory(mode);
        String probe = "cd /sys/fs/cgroup; cat cpu/cpu.shares cpu/cpu.cfs_period_us cpu/cpu.cfs_quota_us cpuset/cpuset.cpus"
                + " memory/memory.limit_in_bytes memory/memory.soft_limit_in_bytes memory/memory.swappiness pids/pids.max;"
                + " grep oom_kill_disable memory/memory.oom_control; echo MOUNTS; exit 7";
        Path bundle = bundle(mode, work, spec -> {
            ObjectNode process = (ObjectNode) spec.path("process");
            process.put("terminal", false);
            process.putArray("args").add("sh").add("-c").add(probe);
            ObjectNode resources = ((ObjectNode) spec.path("linux")).putObject("resources");
            resources.putObject("cpu").put("shares", 2048).put("period", 50000).put("quota", 25000).put("cpus", "0");
            resources.putObject("memory").put("limit", 256L << 20).put("reservation", 128L << 20).put("swappiness", 10)
                    .put("disableOOMKiller", true);
            resources.putObject("pids").put("limit", 77);
        });
        assertSameRun(mode, work, bundle);
        Result strataRun = run(mode, concat(strataOci(mode, work), "run", "--bundle", bundle.toString(), "resources"));
        assertEquals(List.of("2048", "50000", "25000", "0", Long.toString(256L << 20), Long.toString(128L << 20), "10", "77", "oom_kill_disable 1", "MOUNTS"),
                strataRun.out().lines().toList(), strataRun.err());
    }

    /** Settings for controllers this host lacks are refused by both (runc's write fails), with one line naming the setting. */
    @ParameterizedTest
    @EnumSource(value = Mode.class, names = "ROOT")
    void resourcesForAbsentControllersAreRefusedAsByRunc(Mode mode) throws Exception {
        strata.assumeMode(mode);
        Path work = strata.newWorkDirectory(mode);
        for (String controller : List.of("hugetlb", "net_cls")) {
            assumeTrue(!Files.exists(Path.of("/sys/fs/cgroup", controller)) && !Files.exists(Path.of("/sys/fs/cgroup/cgroup.controllers")),
                    "needs a cgroup v1 host without " + controller);
            Path bundle = bundle(mode, work.resolve(controller), spec -> {
                ObjectNode process = (ObjectNode) spec.path("process");
                process.put("terminal", false);
                process.putArray("args").add("true");
                ObjectNode resources = ((ObjectNode) spec.path("linux")).putObject("resources");
                if (controller.equals("hugetlb")) resources.putArray("hugepageLimits").addObject().put("pageSize", "2MB").put("limit", 1L << 21);
                else resources.putObject("network").put("classID", 1048577);
            });
            Result runc = run(mode, concat(runc(mode, work), "run", "--bundle", bundle.toString(), "refused-" + controller.replace('_', '-')));
            Result ours = run(mode, concat(strataOci(mode, work), "run", "--bundle", bundle.toString(), "refused-" + controller.replace('_', '-')));
            assertNotEquals(0, runc.exitCode(), "runc refuses " + controller + " here");
            assertNotEquals(0, ours.exitCode(), ours.out());
            assertEquals(1, ours.err().lines().count(), ours.err());
            assertTrue(ours.err().contains(controller), ours.err());
            assertEquals("[]", ok(run(mode, concat(strataOci(mode, work), "list", "--format", "json"))).line(), "nothing left of it");
        }
    }

    /**
     * As real root, a user namespace mapping 65536 ids that root has no /etc/subuid entry for: the maps
     * are written directly, as runc writes them (newuidmap would refuse), and the container's root,
     * another host uid, still reaches the start fifo in the private state directory.
     */
    @ParameterizedTest
    @EnumSource(value = Mode.class, names = "ROOT")
    void realRootWritesWideIdMapsItself(Mode mode) throws Exception {
        strata.assumeMode(mode);
        Path work = strata.newWorkDirectory(mode);
        Path bundle = bundle(mode, work, spec -> {
            ObjectNode process = (ObjectNode) spec.path("process");
            process.put("terminal", false);
            process.putArray("args").add("sh").add("-c").add("cat /proc/self/uid_map /proc/self/gid_map; id -u; id -g");
            ObjectNode linux = (ObjectNode) spec.path("linux");
            ((ArrayNode) linux.path("namespaces")).addObject().put("type", "user");
            linux.putArray("uidMappings").addObject().put("containerID", 0).put("hostID", 300000).put("size", 65536);
            linux.putArray("gidMappings").addObject().put("containerID", 0).put("hostID", 300000).put("size", 65536);
        });
        Result expected = run(mode, concat(runc(mode, work), "run", "--bundle", bundle.toString(), "wide-maps"));
        Result actual = run(mode, concat(strataOci(mode, work), "run", "--bundle", bundle.toString(), "wide-maps"));
        assertEquals(0, expected.exitCode(), "runc: " + expected.err());
        assertEquals(0, actual.exitCode(), actual.err());
        assertEquals(List.of("0 300000 65536", "0 300000 65536", "0", "0"),
                expected.out().lines().map(l -> l.strip().replaceAll("\\s+", " ")).toList());
        assertEquals(expected.out(), actual.out());
    }

    /**
     * Creates run 4 at a time, 200 in all (issue 23: 1-3 in 30-40 once recorded the helper's pid when two ran
     * at once): every container is created, the pid its state and its --pid-file give is pid 1 of its own
     * pid namespace, and delete --force kills exactly that process.
     */
    @ParameterizedTest
    @EnumSource(Mode.class)
    void concurrentCreatesRecordTheContainersPidOne(Mode mode) throws Exception {
        strata.assumeMode(mode);
        Path work = strata.newWorkDirectory(mode);
        Path bundle = commandBundle(mode, work, "sleep", "1000");
        Path pids = bundle.resolve("pids");
        as(mode, "mkdir", pids.toString());
        List<String> oci = strataOci(mode, work);
        int count = 200;
        List<String> ids = new ArrayList<>();
        // Ids of their own per mode: cgroups are named after them (/strata-oci/ID), one tree for both modes.
        for (int i = 0; i < count; i++) ids.add("race-" + mode.name().toLowerCase() + "-" + i);
        try {
            createsRecordPidOne(mode, oci, bundle, pids, ids);
        } finally {
            // After a failure too: created containers wait on their fifo for ever, each in a cgroup.
            for (String id : ok(run(mode, concat(oci, "list", "--quiet"))).out().lines().toList()) run(mode, concat(oci, "delete", "--force", id));
        }
    }

    private void createsRecordPidOne(Mode mode, List<String> oci, Path bundle, Path pids, List<String> ids) throws Exception {
        int count = ids.size();
        inParallel(ids, id -> {
            int code = create(mode, concat(oci, "create", "--bundle", bundle.toString(), "--pid-file", pids.resolve(id).toString(), id),
                    bundle.resolve(id + ".log"));
            assertEquals(0, code, () -> id + ": " + readQuietly(bundle.resolve(id + ".log")));
        });
        JsonNode listed = new ObjectMapper().readTree(ok(run(mode, concat(oci, "list", "--format", "json"))).out());
        assertEquals(count, listed.size(), listed::toString);
        java.util.Map<String, Long> pidOf = new java.util.HashMap<>();
        for (JsonNode state : listed) {
            String id = state.path("id").asText();
            long pid = state.path("pid").asLong();
            assertEquals("created", state.path("status").asText(), state::toString);
            assertEquals(Long.parseLong(Files.readString(pids.resolve(id)).strip()), pid, id + ": the pid file is the state's pid");
            String nspid = Files.readAllLines(Path.of("/proc", Long.toString(pid), "status")).stream()
                    .filter(l -> l.startsWith("NSpid:")).findFirst().orElseThrow();
            assertTrue(nspid.matches("NSpid:\\s+" + pid + "\\s+1"), id + ": pid " + pid + " is pid 1 of its own namespace: " + nspid);
            pidOf.put(id, pid);
        }
        assertEquals(count, pidOf.size(), "one state per container");
        inParallel(ids, id -> ok(run(mode, concat(oci, "delete", "--force", id))));
        for (var e : pidOf.entrySet()) {
            assertTrue(gone(e.getValue()), e.getKey() + ": delete --force killed its process " + e.getValue());
        }
        assertEquals("[]", ok(run(mode, concat(oci, "list", "--format", "json"))).line());
    }

    /**
     * pause and resume (the freezer) and ps against runc: a created container pauses and resumes to
     * created, a running one to running; while paused its process is frozen and exec is refused; ps
     * lists the first process and an exec'd one (json and table); delete --force of a paused container
     * kills it.
     */
    @ParameterizedTest
    @EnumSource(value = Mode.class, names = "ROOT")
    void pauseResumeAndPsAsRunc(Mode mode) throws Exception {
        strata.assumeMode(mode);
        Path work = strata.newWorkDirectory(mode);
        Path bundle = commandBundle(mode, work, "sleep", "1000");
        List<String> runc = freezeCycle(mode, runc(mode, work), bundle, "freeze-runc");
        List<String> ours = freezeCycle(mode, strataOci(mode, work), bundle, "freeze-strata");
        assertEquals(List.of("paused", "created", "paused", "frozen", "exec refused", "running", "ps json 2", "ps table 2", "paused", "killed", "gone"),
                runc, "runc's answers here");
        assertEquals(runc, ours);
    }

    private List<String> freezeCycle(Mode mode, List<String> runtime, Path bundle, String id) throws Exception {
        List<String> seen = new ArrayList<>();
        assertEquals(0, create(mode, concat(runtime, "create", "--bundle", bundle.toString(), id), bundle.resolve(id + ".log")),
                () -> readQuietly(bundle.resolve(id + ".log")));
        try {
            ok(run(mode, concat(runtime, "pause", id)));
            seen.add(status(mode, runtime, id));
            ok(run(mode, concat(runtime, "resume", id)));
            seen.add(status(mode, runtime, id));
            ok(run(mode, concat(runtime, "start", id)));
            ok(run(mode, concat(runtime, "pause", id)));
            seen.add(status(mode, runtime, id));
            long pid = new ObjectMapper().readTree(ok(run(mode, concat(runtime, "state", id))).out()).path("pid").asLong();
            seen.add(frozen(pid) ? "frozen" : "not frozen");
            seen.add(run(mode, concat(runtime, "exec", id, "true")).exitCode() == 0 ? "exec ran" : "exec refused");
            ok(run(mode, concat(runtime, "resume", id)));
            seen.add(status(mode, runtime, id));
            assertEquals(0, create(mode, concat(runtime, "exec", "--detach", id, "sleep", "500"), bundle.resolve(id + "-exec.log")),
                    () -> readQuietly(bundle.resolve(id + "-exec.log")));
            JsonNode pids = new ObjectMapper().readTree(ok(run(mode, concat(runtime, "ps", "--format", "json", id))).out());
            assertTrue(pids.toString().contains(Long.toString(pid)), "ps lists the first process " + pid + ": " + pids);
            seen.add("ps json " + pids.size());
            List<String> table = ok(run(mode, concat(runtime, "ps", id))).out().lines().toList();
            assertTrue(table.getFirst().contains("PID"), table::toString);
            seen.add("ps table " + (table.size() - 1));
            ok(run(mode, concat(runtime, "pause", id)));
            seen.add(status(mode, runtime, id));
            ok(run(mode, concat(runtime, "delete", "--force", id)));
            for (int i = 0; i < 500 && !gone(pid); i++) Thread.sleep(10);
            seen.add(gone(pid) ? "killed" : "alive");
            seen.add(run(mode, concat(runtime, "state", id)).exitCode() != 0 ? "gone" : "still there");
        } finally {
            run(mode, concat(runtime, "resume", id));
            run(mode, concat(runtime, "delete", "--force", id));
        }
        return seen;
    }

    /** The process sits in the freezer: the kernel shows a frozen task as in uninterruptible sleep. */
    private static boolean frozen(long pid) throws Exception {
        for (int i = 0; i < 100; i++) {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            if (stat.substring(stat.lastIndexOf(')') + 2).startsWith("D")) return true;
            Thread.sleep(10);
        }
        return false;
    }

    /**
     * update against runc, as options and as --resources on stdin: the values the host's cgroup files
     * hold afterwards are the same (the second raises memory above the first's memory+swap limit, which
     * only works written in the right order).
     */
    @ParameterizedTest
    @EnumSource(value = Mode.class, names = "ROOT")
    void updateWritesTheLimitsAsRunc(Mode mode) throws Exception {
        strata.assumeMode(mode);
        assumeTrue(!Files.exists(Path.of("/sys/fs/cgroup/cgroup.controllers")), "reads cgroup v1 files (this host's hierarchies)");
        assumeTrue(Files.exists(Path.of("/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes")), "needs swap accounting");
        Path work = strata.newWorkDirectory(mode);
        Path bundle = commandBundle(mode, work, "sleep", "1000");
        List<String> runc = updated(mode, runc(mode, work), bundle, "update-runc");
        List<String> ours = updated(mode, strataOci(mode, work), bundle, "update-strata");
        assertEquals(List.of(Long.toString(64L << 20), Long.toString(96L << 20), Long.toString(32L << 20), "33", "512", "50000", "20000",
                Long.toString(256L << 20), Long.toString(512L << 20), Long.toString(32L << 20), "44", "512", "50000", "20000"), runc, "runc's values");
        assertEquals(runc, ours);
    }

    private List<String> updated(Mode mode, List<String> runtime, Path bundle, String id) throws Exception {
        assertEquals(0, create(mode, concat(runtime, "run", "--detach", "--bundle", bundle.toString(), id), bundle.resolve(id + ".log")),
                () -> readQuietly(bundle.resolve(id + ".log")));
        try {
            long pid = new ObjectMapper().readTree(ok(run(mode, concat(runtime, "state", id))).out()).path("pid").asLong();
            List<String> values = new ArrayList<>();
            ok(run(mode, concat(runtime, "update", "--memory", "64m", "--memory-swap", "96m", "--memory-reservation", "32m", "--pids-limit", "33",
                    "--cpu-share", "512", "--cpu-period", "50000", "--cpu-quota", "20000", id)));
            values.addAll(limits(pid));
            ok(run(mode, concat(runtime, "update", "--resources", "-", id),
                    "{\"memory\": {\"limit\": " + (256L << 20) + ", \"swap\": " + (512L << 20) + "}, \"pids\": {\"limit\": 44}}"));
            values.addAll(limits(pid));
            return values;
        } finally {
            run(mode, concat(runtime, "delete", "--force", id));
        }
    }

    /** The container's limits as the host's v1 cgroup files of its process hold them. */
    private static List<String> limits(long pid) throws Exception {
        java.util.Map<String, Path> groups = new java.util.HashMap<>();
        for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "cgroup"))) {
            String[] f = line.split(":", 3);
            for (String c : f[1].split(",")) if (!c.isEmpty()) groups.put(c, Path.of("/sys/fs/cgroup", c, f[2]));
        }
        List<String> out = new ArrayList<>();
        for (String file : List.of("memory/memory.limit_in_bytes", "memory/memory.memsw.limit_in_bytes", "memory/memory.soft_limit_in_bytes",
                "pids/pids.max", "cpu/cpu.shares", "cpu/cpu.cfs_period_us", "cpu/cpu.cfs_quota_us")) {
            String controller = file.substring(0, file.indexOf('/'));
            out.add(Files.readString(groups.get(controller).resolve(file.substring(file.indexOf('/') + 1))).strip());
        }
        return out;
    }

    /**
     * events --stats has runc's shape: the fields of cpu.usage, memory.usage and pids that strata gives
     * are runc's names, with counts from the group (one process, memory in use); the stream (strata's)
     * gives stats at the interval and ends when the container stops.
     */
    @ParameterizedTest
    @EnumSource(value = Mode.class, names = "ROOT")
    void eventsHaveRuncsShape(Mode mode) throws Exception {
        strata.assumeMode(mode);
        Path work = strata.newWorkDirectory(mode);
        Path bundle = commandBundle(mode, work, "sleep", "1000");
        JsonNode runc = stats(mode, runc(mode, work), bundle, "events-runc");
        List<String> oci = strataOci(mode, work);
        JsonNode ours = stats(mode, oci, bundle, "events-strata");
        for (JsonNode e : List.of(runc, ours)) {
            assertEquals("stats", e.path("type").asText(), e::toString);
            assertEquals(1, e.path("data").path("pids").path("current").asLong(), e::toString);
            assertTrue(e.path("data").path("memory").path("usage").path("usage").asLong() > 0, e::toString);
            assertTrue(e.path("data").path("cpu").path("usage").path("total").asLong() > 0, e::toString);
        }
        for (String path : List.of("/data", "/data/cpu/usage", "/data/memory/usage", "/data/memory/swap", "/data/pids")) {
            List<String> names = new ArrayList<>();
            ours.at(path).fieldNames().forEachRemaining(names::add);
            List<String> runcNames = new ArrayList<>();
            runc.at(path).fieldNames().forEachRemaining(runcNames::add);
            assertTrue(runcNames.containsAll(names), path + ": " + names + " are runc's names " + runcNames);
        }
        assertEquals(0, create(mode, concat(oci, "run", "--detach", "--bundle", bundle.toString(), "events-stream"), bundle.resolve("stream.log")));
        Process stream = new ProcessBuilder(command(mode, concat(oci, "events", "--interval", "200ms", "events-stream"))).redirectErrorStream(true).start();
        try (var lines = new java.io.BufferedReader(new java.io.InputStreamReader(stream.getInputStream(), StandardCharsets.UTF_8))) {
            for (int i = 0; i < 2; i++) assertEquals("stats", new ObjectMapper().readTree(lines.readLine()).path("type").asText());
            ok(run(mode, concat(oci, "kill", "events-stream", "KILL")));
            assertTrue(stream.waitFor(20, TimeUnit.SECONDS), "the stream ends when the container stops");
            assertEquals(0, stream.exitValue());
        } finally {
            stream.destroyForcibly();
            run(mode, concat(oci, "delete", "--force", "events-stream"));
        }
    }

    private JsonNode stats(Mode mode, List<String> runtime, Path bundle, String id) throws Exception {
        assertEquals(0, create(mode, concat(runtime, "run", "--detach", "--bundle", bundle.toString(), id), bundle.resolve(id + ".log")),
                () -> readQuietly(bundle.resolve(id + ".log")));
        try {
            return new ObjectMapper().readTree(ok(run(mode, concat(runtime, "events", "--stats", id))).out());
        } finally {
            run(mode, concat(runtime, "delete", "--force", id));
        }
    }

    /**
     * The devices cgroup, by the attack: root in the container with CAP_MKNOD makes a node for one of the
     * host's block devices and opens it. Denied by default (runc's spec and every client start with "deny
     * all"), as under runc; allowed by a rule, the same open works (so what stops it is the cgroup, not
     * the filesystem). The device is the first the host's root can open (a VM's disk may refuse even that).
     */
    @ParameterizedTest
    @EnumSource(value = Mode.class, names = "ROOT")
    void aDeviceNodeMadeInTheContainerCannotBeOpenedUnlessAllowed(Mode mode) throws Exception {
        strata.assumeMode(mode);
        assumeTrue(Files.isDirectory(Path.of("/sys/fs/cgroup/devices")), "needs the v1 devices controller");
        String disk = null;
        try (var blocks = Files.list(Path.of("/sys/block"))) {
            for (Path b : blocks.sorted().toList()) {
                try (var in = Files.newInputStream(Path.of("/dev", b.getFileName().toString()))) {
                    disk = Files.readString(b.resolve("dev")).strip();
                    break;
                } catch (java.io.IOException e) {
                    // not openable here even by the host's root: no proof either way
                }
            }
        }
        assumeTrue(disk != null, "needs a block device the host's root can open");
        String[] mm = disk.split(":");
        Path work = strata.newWorkDirectory(mode);
        for (boolean allowed : List.of(false, true)) {
            Path bundle = bundle(mode, work.resolve(allowed ? "allowed" : "denied"), spec -> {
                ObjectNode process = (ObjectNode) spec.path("process");
                process.put("terminal", false);
                process.putArray("args").add("sh").add("-c").add("mknod /disk b " + mm[0] + " " + mm[1] + " && (exec 3< /disk) && echo opened; rm -f /disk");
                ObjectNode caps = (ObjectNode) process.path("capabilities");
                for (String set : List.of("bounding", "effective", "permitted")) ((ArrayNode) caps.path(set)).add("CAP_MKNOD");
                ((ObjectNode) spec.path("root")).put("readonly", false);
                if (allowed) {
                    ArrayNode devices = (ArrayNode) ((ObjectNode) spec.path("linux")).with("resources").withArray("devices");
                    devices.addObject().put("allow", true).put("type", "b").put("major", Integer.parseInt(mm[0])).put("minor", Integer.parseInt(mm[1]))
                            .put("access", "r");
                }
            });
            Result expected = run(mode, concat(runc(mode, work), "run", "--bundle", bundle.toString(), "disk-runc"));
            Result actual = run(mode, concat(strataOci(mode, work), "run", "--bundle", bundle.toString(), "disk-strata"));
            assertEquals(allowed ? "opened" : "", expected.out().strip(), "runc: " + expected.err());
            assertEquals(expected.out(), actual.out(), actual.err());
            if (!allowed) assertTrue(actual.err().contains("Operation not permitted"), actual.err());
            assertEquals(expected.err(), actual.err());
        }
    }

    /**
     * Namespace shapes runc refuses, refused by strata too with one line and nothing left: no mount
     * namespace, one listed twice, a path to join that is no namespace, id maps without a user namespace.
     */
    @ParameterizedTest
    @EnumSource(Mode.class)
    void namespaceShapesRuncRefusesAreRefused(Mode mode) throws Exception {
        strata.assumeMode(mode);
        Path work = strata.newWorkDirectory(mode);
        java.util.Map<String, Consumer<ArrayNode>> shapes = new java.util.LinkedHashMap<>();
        shapes.put("no-mount", ns -> removeNamespace(ns, "mount"));
        shapes.put("twice", ns -> ns.addObject().put("type", "uts"));
        // runc's spec lists an ipc namespace: these join one by path instead.
        shapes.put("bad-path", ns -> ipcAt(ns, "/nonexistent/ns/ipc"));
        shapes.put("not-a-namespace", ns -> ipcAt(ns, "/etc/hostname"));
        shapes.put("proc-link-of-another-type", ns -> ipcAt(ns, "/proc/self/ns/uts"));
        if (mode == Mode.ROOTLESS) shapes.put("maps-without-userns", ns -> removeNamespace(ns, "user"));
        for (var shape : shapes.entrySet()) {
            Path bundle = bundle(mode, work.resolve(shape.getKey()), spec -> {
                ObjectNode process = (ObjectNode) spec.path("process");
                process.put("terminal", false);
                process.putArray("args").add("true");
                shape.getValue().accept((ArrayNode) spec.path("linux").path("namespaces"));
            });
            Result runc = run(mode, concat(runc(mode, work), "run", "--bundle", bundle.toString(), "ns-" + shape.getKey()));
            Result ours = run(mode, concat(strataOci(mode, work), "run", "--bundle", bundle.toString(), "ns-" + shape.getKey()));
            assertNotEquals(0, runc.exitCode(), shape.getKey() + ": runc refuses it");
            assertNotEquals(0, ours.exitCode(), shape.getKey() + ": " + ours.out());
            assertEquals(1, ours.err().lines().count(), shape.getKey() + ": " + ours.err());
            // A path that is no namespace is found so by the helper's open or setns (in the caller's mount namespace), which names it.
            String says = switch (shape.getKey()) {
                case "bad-path" -> "/nonexistent/ns/ipc";
                case "not-a-namespace" -> "/etc/hostname";
                default -> "config.json: ";
            };
            assertTrue(ours.err().contains(says), ours.err());
            assertEquals("[]", ok(run(mode, concat(strataOci(mode, work), "list", "--format", "json"))).line(), "nothing left of it");
        }
    }

    private static void removeNamespace(ArrayNode namespaces, String type) {
        for (int i = namespaces.size() - 1; i >= 0; i--) if (namespaces.get(i).path("type").asText().equals(type)) namespaces.remove(i);
    }

    private static void ipcAt(ArrayNode namespaces, String path) {
        removeNamespace(namespaces, "ipc");
        namespaces.addObject().put("type", "ipc").put("path", path);
    }

    /** The process is no more, or only a zombie its new parent has not reaped yet. */
    private static boolean gone(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            return stat.substring(stat.lastIndexOf(')') + 2).startsWith("Z");
        } catch (java.io.IOException e) {
            return true;
        }
    }

    private interface Job {
        void run(String id) throws Exception;
    }

    /** Runs {@code job} for every id, 4 at a time; the first failure is rethrown once all have ended. */
    private static void inParallel(List<String> ids, Job job) throws Exception {
        var pool = java.util.concurrent.Executors.newFixedThreadPool(4);
        try {
            List<java.util.concurrent.Future<?>> futures = new ArrayList<>();
            for (String id : ids) futures.add(pool.submit(() -> {
                job.run(id);
                return null;
            }));
            for (var f : futures) {
                try {
                    f.get();
                } catch (java.util.concurrent.ExecutionException e) {
                    if (e.getCause() instanceof Exception x) throw x;
                    throw (Error) e.getCause();
                }
            }
        } finally {
            pool.shutdownNow();
        }
    }

    /** create, state, start, state, kill -9 (by name), state, delete, state: the statuses seen. */
    private List<String> lifecycle(Mode mode, List<String> runtime, Path bundle) throws Exception {
        String id = "life-" + mode.name().toLowerCase();
        List<String> seen = new ArrayList<>();
        Path pidFile = bundle.resolve("pid");
        // The container keeps create's stdout and stderr: they go to a file, or reading them would never end.
        assertEquals(0, create(mode, concat(runtime, "create", "--bundle", bundle.toString(), "--pid-file", pidFile.toString(), id),
                bundle.resolve("create.log")), () -> readQuietly(bundle.resolve("create.log")));
        long pid = Long.parseLong(Files.readString(pidFile).strip());
        JsonNode created = new ObjectMapper().readTree(ok(run(mode, concat(runtime, "state", id))).out());
        assertEquals(pid, created.path("pid").asLong(), "state's pid is the pid file's");
        assertTrue(Files.exists(Path.of("/proc", Long.toString(pid))), "the pid is a host pid");
        assertEquals(bundle.toString(), created.path("bundle").asText());
        seen.add(created.path("status").asText());
        ok(run(mode, concat(runtime, "start", id)));
        seen.add(status(mode, runtime, id));
        ok(run(mode, concat(runtime, "kill", id, "KILL")));
        for (int i = 0; i < 200 && status(mode, runtime, id).equals("running"); i++) Thread.sleep(10);
        seen.add(status(mode, runtime, id));
        ok(run(mode, concat(runtime, "delete", id)));
        Result after = run(mode, concat(runtime, "state", id));
        assertNotEquals(0, after.exitCode(), "state of a deleted container fails");
        seen.add("gone");
        return seen;
    }

    private int create(Mode mode, List<String> cmd, Path log) throws Exception {
        Process p = new ProcessBuilder(command(mode, cmd)).directory(strata.home.toFile()).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                .redirectOutput(log.toFile()).redirectErrorStream(true).start();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError(String.join(" ", cmd) + " did not finish");
        }
        return p.exitValue();
    }

    private static String readQuietly(Path file) {
        try {
            return Files.readString(file);
        } catch (java.io.IOException e) {
            return e.toString();
        }
    }

    private String status(Mode mode, List<String> runtime, String id) throws Exception {
        return new ObjectMapper().readTree(ok(run(mode, concat(runtime, "state", id))).out()).path("status").asText();
    }

    private void assertSameRun(Mode mode, Path work, Path bundle) throws Exception {
        Result expected = run(mode, concat(runc(mode, work), "run", "--bundle", bundle.toString(), "diff-" + mode.name().toLowerCase()));
        Result actual = run(mode, concat(strataOci(mode, work), "run", "--bundle", bundle.toString(), "diff-" + mode.name().toLowerCase()));
        assertEquals(7, expected.exitCode(), "runc: " + expected.err());
        assertEquals(expected.exitCode(), actual.exitCode(), actual.err());
        assertEquals(expected.err(), actual.err());
        String[] e = expected.out().split("MOUNTS\n", 2), a = actual.out().split("MOUNTS\n", 2);
        assertEquals(e[0], a[0]);
        assertEquals(mounts(e[1]), mounts(a[1]));
    }

    /**
     * Mount points as "target type ro|rw", sorted. Device nodes are left out: as root runc makes them
     * with mknod inside /dev, strata binds the host's (same device, no mknod rootless); a path masked with
     * /dev/null shows the type of whichever /dev/null was bound, so it reads "device".
     */
    static List<String> mounts(String mountinfo) {
        List<String> out = new ArrayList<>();
        for (String line : mountinfo.lines().toList()) {
            String[] f = line.split(" ");
            int dash = List.of(f).indexOf("-");
            boolean ro = List.of(f[5].split(",")).contains("ro");
            boolean deviceNode = f[3].matches("/(null|zero|full|random|urandom|tty)");
            if (deviceNode && f[4].startsWith("/dev/")) continue;
            out.add(f[4] + " " + (deviceNode ? "device" : f[dash + 1]) + " " + (ro ? "ro" : "rw"));
        }
        out.sort(null);
        return out;
    }

    /** A bundle whose process runs {@code args}, without a terminal; otherwise runc's default config. */
    private Path commandBundle(Mode mode, Path work, String... args) throws Exception {
        return bundle(mode, work, spec -> {
            ObjectNode process = (ObjectNode) spec.path("process");
            process.put("terminal", false);
            ArrayNode argv = process.putArray("args");
            for (String a : args) argv.add(a);
        });
    }

    /** A bundle in {@code work}: the busybox root filesystem and runc's default config (rootless one rootless), edited. */
    private Path bundle(Mode mode, Path work, Consumer<ObjectNode> edit) throws Exception {
        Path bundle = work.resolve("bundle");
        as(mode, "mkdir", "-p", bundle.resolve("rootfs").toString());
        as(mode, "tar", "-C", bundle.resolve("rootfs").toString(), "-xf", strata.rootfsTar.toString());
        if (mode == Mode.ROOT) {
            as(mode, "runc", "spec", "--bundle", bundle.toString());
        } else {
            as(mode, "runc", "spec", "--rootless", "--bundle", bundle.toString());
        }
        ObjectNode spec = (ObjectNode) new ObjectMapper().readTree(bundle.resolve("config.json").toFile());
        edit.accept(spec);
        write(mode, bundle.resolve("config.json"), spec.toPrettyString());
        return bundle;
    }

    private List<String> runc(Mode mode, Path work) {
        return List.of("runc", "--root", work.resolve("runc-state").toString());
    }

    private List<String> strataOci(Mode mode, Path work) {
        return List.of(strata.launcher.toString(), "oci", "--root", work.resolve("strata-state").toString());
    }

    private static List<String> concat(List<String> head, String... tail) {
        List<String> all = new ArrayList<>(head);
        all.addAll(List.of(tail));
        return all;
    }

    private static Result ok(Result r) {
        assertEquals(0, r.exitCode(), r.err());
        return r;
    }

    private void as(Mode mode, String... cmd) throws Exception {
        ok(run(mode, List.of(cmd)));
    }

    /** Writes {@code text} to {@code file} as the mode's user. */
    private void write(Mode mode, Path file, String text) throws Exception {
        ok(run(mode, List.of("sh", "-c", "cat > \"$0\"", file.toString()), text));
    }

    private Result run(Mode mode, List<String> cmd) throws Exception {
        return run(mode, cmd, null);
    }

    /** Runs {@code cmd} as the mode's user with a small fixed environment (the same for both runtimes). */
    private Result run(Mode mode, List<String> cmd, String stdin) throws Exception {
        Process p = new ProcessBuilder(command(mode, cmd)).directory(strata.home.toFile()).start();
        if (stdin != null) p.getOutputStream().write(stdin.getBytes(StandardCharsets.UTF_8));
        p.getOutputStream().close();
        var err = new java.util.concurrent.CompletableFuture<String>();
        Thread.ofVirtual().start(() -> {
            try {
                err.complete(new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8));
            } catch (java.io.IOException e) {
                err.completeExceptionally(e);
            }
        });
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError(String.join(" ", cmd) + " did not finish");
        }
        return new Result(p.exitValue(), out, err.get());
    }

    private List<String> command(Mode mode, List<String> cmd) {
        List<String> full = new ArrayList<>();
        if (mode == Mode.ROOTLESS && strata.runningAsRoot) full.addAll(List.of("runuser", "-u", Installation.TEST_USER, "--"));
        full.addAll(List.of("env", "-i", "PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin", "STRATA_NO_BUILD=1", "LANG=C.UTF-8",
                "HOME=" + (mode == Mode.ROOTLESS && strata.runningAsRoot ? "/home/" + Installation.TEST_USER : System.getProperty("user.home"))));
        full.addAll(cmd);
        return full;
    }
}
