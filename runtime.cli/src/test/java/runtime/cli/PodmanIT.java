package runtime.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import runtime.cli.Installation.Mode;
import runtime.cli.Installation.Result;

/**
 * The real podman driving strata as its OCI runtime (podman --runtime .../strata-oci), as root and
 * rootless. Every scenario first runs with runc, which validates the harness on this machine and
 * gives the reference: what strata makes podman show must match what runc makes it show in the same
 * run. (crun is no reference here: it refuses hybrid cgroup hierarchies, as root and rootless.)
 */
class PodmanIT {
    /** An OCI runtime podman is told to use. */
    enum Runtime {
        RUNC, STRATA;

        String path() {
            return switch (this) {
                case RUNC -> Files.isExecutable(Path.of("/usr/sbin/runc")) ? "/usr/sbin/runc" : "/usr/bin/runc";
                case STRATA -> strata.home.resolve("strata-oci").toString();
            };
        }
    }

    static Installation strata;
    private static final Map<Mode, Podman> podmen = new EnumMap<>(Mode.class);
    /** What runc made podman show, per scenario and mode: the reference for strata. */
    private static final Map<String, Object> references = new ConcurrentHashMap<>();

    @BeforeAll
    static void install() throws Exception {
        strata = Installation.get();
        // The first strata run of an installation records its AOT cache (seconds): not inside a podman call.
        Result version = Installation.run(List.of(strata.launcher.toString(), "version"), strata.home, null, 120);
        assertEquals(0, version.exitCode(), version.err());
    }

    @AfterAll
    static void removeStorage() throws Exception {
        for (Podman p : podmen.values()) p.close();
    }

    static Stream<Arguments> runtimesAndModes() {
        List<Arguments> all = new ArrayList<>();
        for (Runtime r : Runtime.values()) for (Mode m : Mode.values()) all.add(Arguments.of(r, m));
        return all.stream();
    }

    private static synchronized Podman podman(Runtime runtime, Mode mode) throws Exception {
        strata.assumeMode(mode);
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/podman")), "podman is not installed (scripts/test-setup installs it)");
        if (runtime == Runtime.STRATA) {
            assertTrue(Files.isExecutable(Path.of(runtime.path())), "no strata-oci launcher in " + strata.home);
        }
        Podman p = podmen.get(mode);
        if (p == null) {
            p = Podman.create(strata, mode);
            podmen.put(mode, p);
        }
        return p;
    }

    @FunctionalInterface
    interface Scenario<T> {
        T observe(Podman podman, Runtime runtime) throws Exception;
    }

    /**
     * Observes a scenario with {@code runtime}; for strata, also asserts it equals what runc gave
     * (observed first: the parameters list runc before strata, or now if runc's case did not run).
     */
    private static <T> T observe(String name, Podman podman, Runtime runtime, Scenario<T> scenario) throws Exception {
        T seen = scenario.observe(podman, runtime);
        String key = name + "/" + podman.mode;
        if (runtime == Runtime.RUNC) {
            references.put(key, seen);
        } else {
            Object reference = references.get(key);
            if (reference == null) reference = scenario.observe(podman, Runtime.RUNC);
            assertEquals(reference, seen, name + ": podman with strata-oci differs from podman with runc");
        }
        return seen;
    }

    private static Result podman(Podman podman, Runtime runtime, String... args) throws Exception {
        return podman.run(List.of(args), runtime.path());
    }

    private static Result ok(Result r) {
        assertEquals(0, r.exitCode(), () -> "out: " + r.out() + "\nerr: " + r.err());
        return r;
    }

    private static String name(String scenario, Runtime runtime, Podman podman) {
        return scenario + "-" + runtime.name().toLowerCase() + "-" + podman.mode.name().toLowerCase();
    }

    private static void remove(Podman podman, Runtime runtime, String container) throws Exception {
        podman(podman, runtime, "rm", "-f", "-t", "0", container);
    }

    /** podman ps -a's status column for one container: Created, Up ..., Exited (N) ... */
    private static String status(Podman podman, Runtime runtime, String container) throws Exception {
        return ok(podman(podman, runtime, "ps", "-a", "--filter", "name=^" + container + "$", "--format", "{{.Status}}")).line();
    }

    private static void awaitLog(Podman podman, Runtime runtime, String container, String line) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        Result logs;
        do {
            logs = ok(podman(podman, runtime, "logs", container));
            if (logs.out().lines().anyMatch(line::equals)) return;
            Thread.sleep(100);
        } while (System.nanoTime() < deadline);
        throw new AssertionError("no line '" + line + "' in the logs of " + container + ": " + logs.out() + logs.err());
    }

    record Exits(int success, int failure, String failureOut, String failureErr, int missing, String stdinEcho) {}

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("runtimesAndModes")
    void exitCodesStreamsAndStdin(Runtime runtime, Mode mode) throws Exception {
        Podman podman = podman(runtime, mode);
        Exits exits = observe("exits", podman, runtime, (p, rt) -> {
            Result missing = podman(p, rt, "run", "--rm", Podman.IMAGE, "no-such-command");
            assertTrue(missing.err().contains("no-such-command"), missing.err());
            Result failure = podman(p, rt, "run", "--rm", Podman.IMAGE, "sh", "-c", "echo to-out; echo to-err >&2; exit 3");
            Result piped = p.run(List.of("run", "--rm", "-i", Podman.IMAGE, "sh", "-c", "tty; cat"), rt.path(), Map.of(), "typed\n");
            return new Exits(podman(p, rt, "run", "--rm", Podman.IMAGE, "true").exitCode(), failure.exitCode(), failure.out(),
                    failure.err(), missing.exitCode(), piped.out());
        });
        assertEquals(new Exits(0, 3, "to-out\n", "to-err\n", 127, "not a tty\ntyped\n"), exits);
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("runtimesAndModes")
    void interactiveTerminal(Runtime runtime, Mode mode) throws Exception {
        Podman podman = podman(runtime, mode);
        List<String> shown = observe("terminal", podman, runtime, (p, rt) -> {
            Result r = p.runOnTerminal(List.of("run", "--rm", "-it", Podman.IMAGE, "sh", "-c",
                    "echo ready; read line; tty; stty size; echo \"got:$line\"; exit 7"), rt.path(), "ready", "hello");
            assertEquals(7, r.exitCode(), r.out() + r.err());
            // The terminal echoes what was typed; CRLF because the container's tty maps NL to CR NL. The size is
            // asked after the input: podman resizes the terminal once attached (once, with runc, stty failed before).
            return r.out().lines().map(String::strip).toList();
        });
        assertEquals(List.of("ready", "hello", "/dev/pts/0", "40 100", "got:hello"), shown);
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("runtimesAndModes")
    void environment(Runtime runtime, Mode mode) throws Exception {
        Podman podman = podman(runtime, mode);
        List<String> env = observe("environment", podman, runtime, (p, rt) -> {
            Path file = p.dir.resolve("env-" + rt.name().toLowerCase());
            Files.writeString(file, "# a comment\nFROM_FILE=file value\nOVERRIDDEN=by file\n");
            Result r = ok(p.run(List.of("run", "--rm", "-e", "GIVEN=given value", "-e", "FROM_CALLER", "--env-file", file.toString(),
                    "-e", "OVERRIDDEN=by -e", Podman.IMAGE, "env"), rt.path(), Map.of("FROM_CALLER", "caller value"), null));
            // HOSTNAME is the container id: different every run.
            return r.out().lines().filter(l -> !l.startsWith("HOSTNAME=")).sorted().toList();
        });
        assertTrue(env.contains("GIVEN=given value"), env.toString());
        assertTrue(env.contains("FROM_CALLER=caller value"), env.toString());
        assertTrue(env.contains("FROM_FILE=file value"), env.toString());
        assertTrue(env.contains("OVERRIDDEN=by -e"), env.toString());
        assertTrue(env.contains("HOME=/root"), env.toString());
        assertTrue(env.stream().anyMatch(l -> l.startsWith("PATH=/usr/local/sbin:")), env.toString());
    }

    record Binds(String read, String roWrite, String rwContent, int rwOwner, boolean roUntouched) {}

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("runtimesAndModes")
    void bindMounts(Runtime runtime, Mode mode) throws Exception {
        Podman podman = podman(runtime, mode);
        Binds binds = observe("binds", podman, runtime, (p, rt) -> {
            Path ro = p.newDirectory("ro-" + rt.name().toLowerCase());
            Path rw = p.newDirectory("rw-" + rt.name().toLowerCase());
            Files.writeString(ro.resolve("given"), "from the host\n");
            Result r = ok(podman(p, rt, "run", "--rm", "-v", ro + ":/in:ro", "-v", rw + ":/out", Podman.IMAGE, "sh", "-c",
                    "cat /in/given; touch /in/new 2>/dev/null && echo ro-writable || echo ro-refused; echo written > /out/made"));
            List<String> lines = r.out().lines().toList();
            Path made = rw.resolve("made");
            return new Binds(lines.get(0), lines.get(1), Files.exists(made) ? Files.readString(made) : null,
                    Files.exists(made) ? (Integer) Files.getAttribute(made, "unix:uid") : -1, !Files.exists(ro.resolve("new")));
        });
        assertEquals(new Binds("from the host", "ro-refused", "written\n", podman.hostUid(), true), binds);
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("runtimesAndModes")
    void networkNone(Runtime runtime, Mode mode) throws Exception {
        Podman podman = podman(runtime, mode);
        List<String> interfaces = observe("network-none", podman, runtime,
                (p, rt) -> ok(podman(p, rt, "run", "--rm", "--network", "none", Podman.IMAGE, "ls", "/sys/class/net")).out().lines().toList());
        assertEquals(List.of("lo"), interfaces);
    }

    record DefaultNetwork(int exitCode, List<String> out) {}

    /**
     * podman's default network (CNI's bridge as root, slirp4netns rootless, as Debian 12 installs them):
     * rootless podman then asks for the sysctl net.ipv4.ping_group_range, which must be written before /proc/sys
     * goes read-only (runc's order; issue 23 saw "Read-only file system", 126). The container sees the
     * value, its interfaces, and /proc/sys read-only afterwards.
     */
    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("runtimesAndModes")
    void defaultNetwork(Runtime runtime, Mode mode) throws Exception {
        Podman podman = podman(runtime, mode);
        DefaultNetwork seen = observe("default-network", podman, runtime, (p, rt) -> {
            Result r = podman(p, rt, "run", "--rm", Podman.IMAGE, "sh", "-c",
                    "echo hi; cat /proc/sys/net/ipv4/ping_group_range; ls /sys/class/net;"
                            + " { echo 0 > /proc/sys/net/ipv4/ping_group_range; } 2>/dev/null || echo sysctl-read-only");
            return new DefaultNetwork(r.exitCode(), r.out().lines().map(l -> l.replaceAll("\\s+", " ")).toList());
        });
        assertEquals(0, seen.exitCode(), seen::toString);
        assertEquals("hi", seen.out().getFirst());
        // Rootless, podman asks for "0 0" (its default_sysctls), shown through the user namespace as 65534
        // 65534: the kernel's own "1 0" would mean the write was lost. As root this podman asks for none.
        if (mode == Mode.ROOTLESS) assertEquals("65534 65534", seen.out().get(1), seen::toString);
        // An interface beside lo: the network's (CNI's veth as root, slirp4netns's tap rootless).
        assertEquals("sysctl-read-only", seen.out().getLast());
        assertEquals(Stream.of(mode == Mode.ROOT ? "eth0" : "tap0", "lo").sorted().toList(), seen.out().subList(2, seen.out().size() - 1).stream().sorted().toList());
    }

    /** The body the container's httpd serves on host port {@code port}, or null if nothing answers yet. */
    private static String fetch(int port) {
        String reply = HttpProbe.get(port, "/index.html");
        int body = reply == null ? -1 : reply.indexOf("\r\n\r\n");
        return body < 0 ? null : reply.substring(body + 4);
    }

    record Published(String body, List<String> interfaces) {}

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("runtimesAndModes")
    void slirp4netnsWithPublishedPort(Runtime runtime, Mode mode) throws Exception {
        Podman podman = podman(runtime, mode);
        Published published = observe("published-port", podman, runtime, (p, rt) -> {
            String container = name("http", rt, p);
            int port = HttpProbe.freePort();
            try {
                ok(podman(p, rt, "run", "-d", "--name", container, "--network", "slirp4netns", "-p", port + ":8080", Podman.IMAGE,
                        "sh", "-c", "mkdir /www && echo served > /www/index.html && exec httpd -f -p 8080 -h /www"));
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                String body;
                while ((body = fetch(port)) == null && System.nanoTime() < deadline) Thread.sleep(100);
                List<String> interfaces = ok(podman(p, rt, "exec", container, "ls", "/sys/class/net")).out().lines().toList();
                return new Published(body, interfaces);
            } finally {
                remove(p, rt, container);
            }
        });
        assertEquals(new Published("served\n", List.of("lo", "tap0")), published);
    }

    record Limits(int exitCode, String memory, String pids, boolean warned) {}

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("runtimesAndModes")
    void memoryAndPidsLimits(Runtime runtime, Mode mode) throws Exception {
        Podman podman = podman(runtime, mode);
        Limits limits = observe("limits", podman, runtime, (p, rt) -> {
            Result r = podman(p, rt, "run", "--rm", "--memory", "64m", "--pids-limit", "50", Podman.IMAGE, "sh", "-c",
                    "cat /sys/fs/cgroup/memory/memory.limit_in_bytes; cat /sys/fs/cgroup/pids/pids.max 2>/dev/null || echo no-pids-cgroup");
            List<String> lines = r.out().lines().toList();
            return new Limits(r.exitCode(), lines.get(0), lines.get(1), r.err().contains("Resource limits are not supported"));
        });
        if (mode == Mode.ROOT) {
            assertEquals(new Limits(0, "67108864", "50", false), limits);
        } else {
            // Rootless on cgroup v1 nobody may create cgroups: podman warns and runs the container unlimited.
            assertEquals(0, limits.exitCode());
            assertTrue(limits.warned(), limits.toString());
            assertFalse(limits.memory().equals("67108864"), limits.toString());
            assertEquals("no-pids-cgroup", limits.pids());
        }
    }

    record PauseAndUpdate(String paused, String unpaused, String memory, String cpuQuota) {}

    /**
     * podman pause and unpause (strata-oci's pause and resume: the freezer) and podman update (its
     * update --resources), as root: rootless on cgroup v1 podman has no cgroup to freeze or change.
     */
    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("runtimesAndModes")
    void pauseUnpauseAndUpdate(Runtime runtime, Mode mode) throws Exception {
        assumeTrue(mode == Mode.ROOT, "rootless podman on cgroup v1 cannot pause or update (no cgroup of its own)");
        Podman podman = podman(runtime, mode);
        PauseAndUpdate seen = observe("pause-update", podman, runtime, (p, rt) -> {
            String container = name("pause", rt, p);
            try {
                ok(podman(p, rt, "run", "-d", "--name", container, "--memory", "64m", Podman.IMAGE, "sleep", "1000"));
                ok(podman(p, rt, "pause", container));
                String paused = status(p, rt, container).split(" ")[0];
                ok(podman(p, rt, "unpause", container));
                String unpaused = status(p, rt, container).split(" ")[0];
                ok(podman(p, rt, "update", "--memory", "128m", "--cpu-period", "100000", "--cpu-quota", "20000", container));
                List<String> limits = ok(podman(p, rt, "exec", container, "cat", "/sys/fs/cgroup/memory/memory.limit_in_bytes",
                        "/sys/fs/cgroup/cpu/cpu.cfs_quota_us")).out().lines().toList();
                return new PauseAndUpdate(paused, unpaused, limits.get(0), limits.get(1));
            } finally {
                remove(p, rt, container);
            }
        });
        assertEquals(new PauseAndUpdate("Paused", "Up", "134217728", "20000"), seen);
    }

    record ExecAndKill(String upStatus, int execExit, String execOut, String execErr, String piped, int killedExit, String exitedStatus) {}

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("runtimesAndModes")
    void execThenKill(Runtime runtime, Mode mode) throws Exception {
        Podman podman = podman(runtime, mode);
        ExecAndKill seen = observe("exec-kill", podman, runtime, (p, rt) -> {
            String container = name("exec", rt, p);
            try {
                ok(podman(p, rt, "run", "-d", "--name", container, "-e", "FROM_RUN=run", Podman.IMAGE, "sleep", "1000"));
                String up = status(p, rt, container);
                Result exec = podman(p, rt, "exec", "-e", "FROM_EXEC=exec", container, "sh", "-c",
                        "echo \"$FROM_RUN $FROM_EXEC $(cat /proc/1/comm)\"; echo oops >&2; exit 5");
                Result piped = p.run(List.of("exec", "-i", container, "sh", "-c", "tr a-z A-Z"), rt.path(), Map.of(), "shout\n");
                ok(podman(p, rt, "kill", container));
                Result waited = ok(podman(p, rt, "wait", container));
                return new ExecAndKill(up.replaceAll(" .*", ""), exec.exitCode(), exec.out(), exec.err(), piped.out(),
                        Integer.parseInt(waited.line()), status(p, rt, container).replaceAll("\\) .*", ")"));
            } finally {
                remove(p, rt, container);
            }
        });
        assertEquals(new ExecAndKill("Up", 5, "run exec sleep\n", "oops\n", "SHOUT\n", 137, "Exited (137)"), seen);
    }

    record Stopped(int exitCode, long seconds) {}

    /** Stops a running container and returns its exit code and how long podman stop took. */
    private static Stopped stop(Podman p, Runtime rt, String container, int timeout) throws Exception {
        long start = System.nanoTime();
        ok(podman(p, rt, "stop", "-t", Integer.toString(timeout), container));
        long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start);
        String code = ok(podman(p, rt, "inspect", "--format", "{{.State.ExitCode}}", container)).line();
        return new Stopped(Integer.parseInt(code), seconds);
    }

    record Escalated(int exitCode, boolean waitedForTimeout, String status) {}

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("runtimesAndModes")
    void stopEscalatesToKillAfterTheTimeout(Runtime runtime, Mode mode) throws Exception {
        Podman podman = podman(runtime, mode);
        Escalated seen = observe("stop-kill", podman, runtime, (p, rt) -> {
            String container = name("stop-kill", rt, p);
            try {
                // sleep as pid 1 has no SIGTERM handler, so the kernel drops SIGTERM: only SIGKILL ends it.
                ok(podman(p, rt, "run", "-d", "--name", container, Podman.IMAGE, "sleep", "1000"));
                Stopped stopped = stop(p, rt, container, 2);
                assertTrue(stopped.seconds() < 30, "podman stop -t 2 took " + stopped.seconds() + " s");
                return new Escalated(stopped.exitCode(), stopped.seconds() >= 2, status(p, rt, container).replaceAll("\\) .*", ")"));
            } finally {
                remove(p, rt, container);
            }
        });
        assertEquals(new Escalated(137, true, "Exited (137)"), seen);
    }

    record Terminated(int exitCode, boolean beforeTimeout, String out, String err, String status) {}

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("runtimesAndModes")
    void detachedLogsThenStopBySigterm(Runtime runtime, Mode mode) throws Exception {
        Podman podman = podman(runtime, mode);
        Terminated seen = observe("stop-term", podman, runtime, (p, rt) -> {
            String container = name("stop-term", rt, p);
            try {
                ok(podman(p, rt, "run", "-d", "--name", container, Podman.IMAGE, "sh", "-c",
                        "trap 'echo terminated; exit 143' TERM; echo warming >&2; echo ready; while :; do sleep 0.1; done"));
                awaitLog(p, rt, container, "ready");
                Stopped stopped = stop(p, rt, container, 60);
                Result logs = ok(podman(p, rt, "logs", container));
                return new Terminated(stopped.exitCode(), stopped.seconds() < 20, logs.out(), logs.err(),
                        status(p, rt, container).replaceAll("\\) .*", ")"));
            } finally {
                remove(p, rt, container);
            }
        });
        // Not before the timeout would mean SIGTERM never reached the container's handler.
        assertEquals(new Terminated(143, true, "ready\nterminated\n", "warming\n", "Exited (143)"), seen);
    }

    record CreatedThenStarted(String created, int exitCode, String out, String exited) {}

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("runtimesAndModes")
    void createThenStartAttached(Runtime runtime, Mode mode) throws Exception {
        Podman podman = podman(runtime, mode);
        CreatedThenStarted seen = observe("create-start", podman, runtime, (p, rt) -> {
            String container = name("create", rt, p);
            try {
                ok(podman(p, rt, "create", "--name", container, Podman.IMAGE, "sh", "-c", "echo started; exit 4"));
                String created = status(p, rt, container);
                Result started = podman(p, rt, "start", "-a", container);
                return new CreatedThenStarted(created, started.exitCode(), started.out(), status(p, rt, container).replaceAll("\\) .*", ")"));
            } finally {
                remove(p, rt, container);
            }
        });
        assertEquals(new CreatedThenStarted("Created", 4, "started\n", "Exited (4)"), seen);
    }
}
