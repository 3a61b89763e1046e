package runtime.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

import runtime.cli.Installation.Mode;
import runtime.cli.Installation.Result;

/**
 * The per-user server and the native front (issue 18): commands from many shells at once, containers that
 * stay the caller's, a stale socket, a server killed mid-command, another user, a rebuilt installation, idle
 * exit, and job control on a real terminal (tmux), with and without the server.
 */
class ServerIT {
        static Installation strata;

    @BeforeAll
    static void install() throws Exception {
        strata = Installation.get();
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void eightShellsAtOnceGetWhatSerialCommandsGet(Mode mode) throws Exception {
        strata.assumeMode(mode);
        Path data = strata.newStore(mode);
        String id = strata.importBusybox(mode, data);
        awaitServer(mode, data);
        List<Callable<String>> commands = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            int n = i;
            commands.add(() -> {
                // A build step per shell (different, so none is a cache hit of another) and a run of its result.
                Result built = strata.strata(mode, data, "build", "--from", id, "--run", "echo " + n + " > /n");
                assertEquals(0, built.exitCode(), built.err());
                Result run = strata.strata(mode, data, strata.home, Map.of("N", Integer.toString(n)), "in " + n + "\n",
                        "run", built.line(), "sh", "-c", "cat /n; echo $N; cat; exit " + (10 + n));
                return run.exitCode() + "|" + run.out() + "|" + run.err();
            });
        }
        List<String> serial = new ArrayList<>();
        for (Callable<String> c : commands) serial.add(c.call());
        ExecutorService shells = Executors.newFixedThreadPool(8);
        try {
            List<String> concurrent = new ArrayList<>();
            for (Future<String> f : shells.invokeAll(commands)) concurrent.add(f.get());
            assertEquals(serial, concurrent);
        } finally {
            shells.shutdownNow();
        }
        assertEquals("10|0\n0\nin 0\n|", serial.getFirst());
        assertTrue(strata.serverPid(mode) > 0, "a server served them");
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void aContainerIsTheCallersDescendantInItsSessionGroupCgroupAndLimits(Mode mode) throws Exception {
        strata.assumeMode(mode);
        Path data = strata.newStore(mode);
        String id = strata.importBusybox(mode, data);
        awaitServer(mode, data);
        List<String> cmd = new ArrayList<>(List.of("prlimit", "--nofile=777:777", "--"));
        cmd.addAll(strata.command(mode, data, Map.of(), List.of("run", id, "sh", "-c",
                "cat /proc/$PPID/comm; for f in /proc/self/stat /proc/$PPID/stat; do cut -d' ' -f5,6 $f; done;"
                        + " cmp /proc/self/cgroup /proc/$PPID/cgroup && echo same-cgroup; ulimit -n")));
        Result r = Installation.run(cmd, strata.home, null, 60);
        assertEquals(0, r.exitCode(), r.err());
        List<String> lines = r.out().lines().toList();
        assertEquals("strata", lines.get(0), "the container's parent is the caller's strata (the front), not the server");
        assertEquals(lines.get(1), lines.get(2), "same process group and session as the caller's strata");
        assertEquals("same-cgroup", lines.get(3));
        assertEquals("777", lines.get(4), "the caller's rlimits");
    }

    /**
     * The server has one umask (its first caller's); what a command creates through it gets the caller's
     * modes, as without the server: an OCI export's tree and a build step's layer, under a umask chosen to
     * differ from the server's own.
     */
    @ParameterizedTest
    @EnumSource(Mode.class)
    void filesCreatedThroughTheServerHaveTheCallersUmask(Mode mode) throws Exception {
        strata.assumeMode(mode);
        Path data = strata.newStore(mode);
        String id = strata.importBusybox(mode, data);
        long server = awaitServer(mode, data);
        String status = Files.readString(Path.of("/proc/" + server + "/status"));
        int serverMask = Integer.parseInt(status.replaceAll("(?s).*\nUmask:\\s*([0-7]+).*", "$1"), 8);
        int mask = serverMask == 077 ? 022 : 077;
        Path wd = strata.newWorkDirectory(mode);
        Map<String, String> modes = new TreeMap<>();
        for (boolean direct : new boolean[] {false, true}) {
            String through = direct ? "off" : "server";
            Map<String, String> env = direct ? Map.of("STRATA_SERVER", "off") : Map.of();
            Result export = Installation.run(underUmask(mode, data, env, mask, "export-oci", id, wd.resolve(through).toString()), wd, null, 120);
            assertEquals(0, export.exitCode(), export.err());
            Result built = Installation.run(underUmask(mode, data, env, mask, "build", "--from", id, "--run", "touch /" + through), wd, null, 120);
            assertEquals(0, built.exitCode(), built.err());
            Path layer = data.resolve("layers").resolve(built.line());
            String tree;
            try (var files = Files.walk(wd.resolve(through))) {
                tree = files.sorted().map(f -> wd.resolve(through).relativize(f) + " " + mode(f)).collect(Collectors.joining("\n"));
            }
            modes.put(through, tree + "\nlayer " + mode(layer.resolve("root")) + " " + mode(layer.resolve("layer.json")));
        }
        assertEquals(modes.get("off"), modes.get("server"), "the same modes through the server as without it");
        assertTrue(modes.get("server").endsWith("layer " + Integer.toOctalString(0777 & ~mask) + " " + Integer.toOctalString(0666 & ~mask)),
                modes.get("server"));
        assertEquals(server, strata.serverPid(mode), "the server served them");
    }

    /** strata ARGS as the mode's user under umask {@code mask} (set after runuser, which may apply its own). */
    private static List<String> underUmask(Mode mode, Path data, Map<String, String> env, int mask, String... args) {
        List<String> program = new ArrayList<>(List.of("sh", "-c", "umask " + Integer.toOctalString(mask) + " && exec \"$0\" \"$@\"",
                strata.launcher.toString()));
        program.addAll(List.of(args));
        return strata.as(mode, data, env, program);
    }

    private static String mode(Path f) {
        try {
            return Integer.toOctalString((Integer) Files.getAttribute(f, "unix:mode", LinkOption.NOFOLLOW_LINKS) & 0777);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Test
    void aStaleSocketIsReplacedAndTheCommandRuns() throws Exception {
        Mode mode = Mode.ROOT;
        strata.assumeMode(mode);
        Path data = strata.newStore(mode);
        String id = strata.importBusybox(mode, data);
        long old = awaitServer(mode, data);
        Path socket = socket(mode);
        Installation.exec(List.of("kill", "-KILL", Long.toString(old)));
        awaitGone(old);
        assertTrue(Files.exists(socket), "a crashed server leaves its socket");
        Result r = strata.strata(mode, data, strata.home, Map.of(), null, "run", id, "echo", "ran");
        assertEquals(0, r.exitCode(), r.err());
        assertEquals("ran", r.line());
        assertEquals("", r.err(), "a stale socket is no news to the user");
        long fresh = awaitServer(mode, data);
        assertNotEquals(old, fresh);
    }

    /**
     * A server that dies as a front connects (the kernel queues connections on a listener whose process is
     * being killed, as CrashIT's kills showed): the front got no TAKEN, so nothing of its command ran, and it
     * runs the command in a JVM of its own instead of failing. A listener that accepts and hangs up stands
     * in for the dying server.
     */
    @Test
    void aServerGoneBeforeItTookTheInvocationCostsNothing() throws Exception {
        Mode mode = Mode.ROOT;
        strata.assumeMode(mode);
        Path data = strata.newStore(mode);
        String id = strata.importBusybox(mode, data);
        long old = awaitServer(mode, data);
        Path socket = socket(mode);
        Installation.exec(List.of("kill", "-KILL", Long.toString(old)));
        awaitGone(old);
        Files.deleteIfExists(socket);
        String hangUp = "import socket, sys\n"
                + "s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)\n"
                + "s.bind(sys.argv[1]); s.listen(1); print('listening', flush=True)\n"
                + "c, _ = s.accept(); c.close(); s.close()\n";
        Process listener = new ProcessBuilder("python3", "-c", hangUp, socket.toString()).redirectErrorStream(true).start();
        try {
            assertEquals("listening", new String(listener.getInputStream().readNBytes(10)).strip());
            Result r = strata.strata(mode, data, strata.home, Map.of(), null, "run", id, "echo", "ran");
            assertEquals(0, r.exitCode(), r.err());
            assertEquals("ran", r.line());
            assertEquals("", r.err(), "the user hears nothing of a server that never took the command");
            assertTrue(listener.waitFor(30, TimeUnit.SECONDS), "the front connected to the stand-in");
        } finally {
            listener.destroyForcibly();
        }
        assertNotEquals(old, awaitServer(mode, data), "a new server started for the next command");
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void aServerKilledMidCommandIsOneLineAndTheStoreKeepsEverything(Mode mode) throws Exception {
        strata.assumeMode(mode);
        Path data = strata.newStore(mode);
        String id = strata.importBusybox(mode, data);
        Path wd = strata.newWorkDirectory(mode);
        long server = awaitServer(mode, data);
        Process p = strata.start(mode, data, wd, Map.of(), "build", "--from", id, "--run",
                "touch /tmp/" + wd.getFileName() + "/started; sleep 2; echo done > /etc/done");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!Files.exists(wd.resolve("started")) && System.nanoTime() < deadline) Thread.sleep(20);
        assertTrue(Files.exists(wd.resolve("started")), "the step started");
        Installation.exec(List.of("kill", "-KILL", Long.toString(server)));
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(125, p.exitValue());
        List<String> err = Files.readAllLines(wd.resolve("err")).stream().filter(l -> !l.startsWith("strata: step")).toList();
        assertEquals(1, err.size(), err.toString());
        assertTrue(err.getFirst().startsWith("strata: the strata server ended during the command"), err.getFirst());
        assertEquals(1, Installation.layerCount(data), "no half-made layer");
        Result fsck = strata.strata(mode, data, "fsck");
        for (String line : fsck.out().lines().toList()) assertTrue(line.startsWith("leftover tmp/"), line);
        Result again = strata.strata(mode, data, "build", "--from", id, "--run", "echo done > /etc/done");
        assertEquals(0, again.exitCode(), again.err());
        assertEquals("done", strata.strata(mode, data, "run", again.line(), "cat", "/etc/done").line());
    }

    /**
     * A front that dies just after its server's container started (killed as CrashIT kills it, between
     * SPAWNED and the child's exit): the server's command must end as a killed JVM's would, releasing its
     * DATA/tmp staging layer, and not wait for ever for an exit the dead front cannot report (CI once found
     * a server thread holding a build's lock, so `fsck --repair` could not empty tmp). A stand-in front
     * speaks the protocol: INVOKE, TAKEN, SPAWN, SPAWNED with the pid of a sleep of its own, hang-up.
     */
    @Test
    void aFrontGoneMidCommandEndsTheCommandAndReleasesItsWork() throws Exception {
        Mode mode = Mode.ROOT;
        strata.assumeMode(mode);
        assumeTrue(!Installation.direct, "through the server only");
        Path data = strata.newStore(mode);
        String id = strata.importBusybox(mode, data);
        long server = awaitServer(mode, data);
        String front = "import struct, socket, sys, array, subprocess\n"
                + "s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)\n"
                + "s.connect(sys.argv[1])\n"
                + "fields = [sys.argv[2], 'strata', '/', '22', '000', '5', 'build', '--from', sys.argv[3], '--run', sys.argv[4],\n"
                + "          'STRATA_DATA=' + sys.argv[5], 'PATH=/usr/bin:/bin:/usr/sbin:/sbin']\n"
                + "payload = struct.pack('=I', 1) + b''.join(f.encode() + b'\\0' for f in fields)\n"
                + "null = __import__('os').open('/dev/null', __import__('os').O_RDWR)\n"
                + "s.sendmsg([payload], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array('i', [null, null, null]))])\n"
                + "kinds = []\n"
                + "while True:\n"
                + "    m, fds, _, _ = socket.recv_fds(s, 1 << 17, 16)\n"
                + "    for fd in fds: __import__('os').close(fd)\n"
                + "    if not m: break\n"
                + "    kind = struct.unpack_from('=I', m)[0]; kinds.append(kind)\n"
                + "    if kind == 16:\n"
                + "        child = subprocess.Popen(['sleep', '600'])\n"
                + "        s.send(struct.pack('=Ii', 2, child.pid)); s.close(); child.kill(); child.wait()\n"
                + "        break\n"
                + "print(' '.join(map(str, kinds)))\n";
        for (int i = 0; i < 4; i++) {
            Result r = Installation.run(List.of("python3", "-c", front, socket(mode).toString(), buildId(), id,
                    "echo " + i + " > /i", data.toString()), strata.home, null, 60);
            assertEquals("19 16", r.line(), "TAKEN, then SPAWN: " + r.err());
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            List<Path> left;
            do {
                Result repair = strata.strata(mode, data, "fsck", "--repair");
                assertEquals(0, repair.exitCode(), repair.out() + repair.err());
                try (var tmp = Files.list(data.resolve("tmp"))) {
                    left = tmp.toList();
                }
            } while (!left.isEmpty() && System.nanoTime() < deadline);
            assertEquals(List.of(), left, "the abandoned build released its staging layer");
        }
        assertEquals(1, Installation.layerCount(data), "no layer of an abandoned step");
        assertEquals(server, strata.serverPid(mode), "the same server served it all");
        Result build = strata.strata(mode, data, "build", "--from", id, "--run", "echo after > /after");
        assertEquals(0, build.exitCode(), build.err());
    }

    @Test
    void anotherUserIsRefusedByTheServerAndANonPrivateDirectoryByTheFront() throws Exception {
        strata.assumeMode(Mode.ROOT);
        strata.assumeMode(Mode.ROOTLESS);
        Path data = strata.newStore(Mode.ROOT);
        long server = awaitServer(Mode.ROOT, data);
        Path dir = strata.runtimeDirectory(Mode.ROOT);
        Path socket = socket(Mode.ROOT);
        // Let the test user reach root's socket, as a careless chmod would; the server still checks the peer.
        Installation.exec(List.of("chmod", "0755", dir.getParent().toString(), dir.toString()));
        Installation.exec(List.of("chmod", "0777", socket.toString()));
        try {
            // An INVOKE of `import-tar` into root's store, sent by the test user straight to the socket.
            String invoke = "import struct, socket, sys, array\n"
                    + "s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)\n"
                    + "s.connect(sys.argv[1])\n"
                    + "fields = [sys.argv[2], 'strata', '/', '22', '000', '2', 'import-tar', sys.argv[3], 'STRATA_DATA=' + sys.argv[4]]\n"
                    + "payload = struct.pack('=I', 1) + b''.join(f.encode() + b'\\0' for f in fields)\n"
                    + "try:\n"
                    + "    s.sendmsg([payload], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array('i', [0, 1, 2]))])\n"
                    + "    print('hung up' if len(s.recv(65536)) == 0 else 'answered')\n"
                    + "except (BrokenPipeError, ConnectionResetError):\n"
                    + "    print('hung up')\n";
            Result r = Installation.run(List.of("runuser", "-u", Installation.TEST_USER, "--", "python3", "-c", invoke, socket.toString(),
                    buildId(), strata.rootfsTar.toString(), data.toString()), strata.home, null, 60);
            assertEquals("hung up", r.line(), "the server hangs up on another uid: " + r.err());
            assertEquals(0, Installation.layerCount(data), "nothing ran for the other user");
            String log = Files.readString(dir.resolve("server.log"));
            assertTrue(log.contains("refused a connection from uid"), log);
            // The front itself does not use a runtime directory that others can enter: it says so and runs anyway.
            Result front = strata.strata(Mode.ROOT, data, "images");
            assertEquals(0, front.exitCode(), front.err());
            assertTrue(front.err().contains("is not a private directory of yours"), front.err());
            assertEquals(server, strata.serverPid(Mode.ROOT));
        } finally {
            Installation.exec(List.of("chmod", "0700", dir.getParent().toString(), dir.toString()));
        }
    }

    @Test
    void aRebuiltInstallationNeverTalksToTheOldServer() throws Exception {
        Mode mode = Mode.ROOT;
        strata.assumeMode(mode);
        Path data = strata.newStore(mode);
        String id = strata.importBusybox(mode, data);
        long old = awaitServer(mode, data);
        Path buildId = strata.home.resolve("runtime.cli/target/dist/build-id");
        String original = Files.readString(buildId);
        try {
            Files.writeString(buildId, "0123456789abcdef\n");
            awaitGone(old); // it notices its installation changed
            Result r = strata.strata(mode, data, "run", id, "echo", "new");
            assertEquals(0, r.exitCode(), r.err());
            assertEquals("new", r.line());
            long fresh = awaitServer(mode, data);
            assertNotEquals(old, fresh);
            assertTrue(Files.exists(strata.runtimeDirectory(mode).resolve("server-0123456789abcdef.sock")));
        } finally {
            Files.writeString(buildId, original);
        }
    }

    /**
     * Issue 18 item 5: with no strata serve running, start goes to the daemon the per-user server hosts for
     * the store: the server spawns the container (a detached service container, its descendant), a JVM of
     * its own (no server) reaches the same daemon, and wait, logs, stop and ps work through it.
     */
    @ParameterizedTest
    @EnumSource(Mode.class)
    void startIsServedByTheDaemonTheServerHostsForTheStore(Mode mode) throws Exception {
        strata.assumeMode(mode);
        assumeFalse(Installation.direct, "this is about the server");
        Path data = strata.newStore(mode);
        String id = strata.importBusybox(mode, data);
        long server = awaitServer(mode, data);
        Path wd = strata.newWorkDirectory(mode);
        Path manifest = Files.writeString(wd.resolve("svc.toml"), """
                image = "%s"
                name = "hosted"
                command = ["sh", "-c", "echo hello-from-hosted; trap 'echo bye; exit 7' TERM; while true; do sleep 0.1; done"]
                """.formatted(id));
        Map<String, String> env = Map.of();
        Result started = strata.strata(mode, data, wd, env, null, "start", manifest.toString());
        assertEquals(0, started.exitCode(), started.err());
        try {
            assertTrue(started.line().matches("[0-9a-f]{12}"), started.out());
            Result inspect = strata.strata(mode, data, wd, env, null, "inspect", "hosted");
            assertEquals(0, inspect.exitCode(), inspect.err());
            long pid = Long.parseLong(inspect.out().replaceAll("(?s).*\"pid\":(\\d+).*", "$1"));
            List<Long> ancestors = new ArrayList<>();
            for (var p = ProcessHandle.of(pid).flatMap(ProcessHandle::parent); p.isPresent(); p = p.get().parent()) ancestors.add(p.get().pid());
            assertTrue(ancestors.contains(server), "the server " + server + " spawned it: its ancestors are " + ancestors);
            try (var files = Files.list(strata.runtimeDirectory(mode))) {
                List<Path> sockets = files.filter(f -> f.getFileName().toString().matches("daemon-[0-9a-f]{16}\\.sock")).toList();
                assertFalse(sockets.isEmpty(), "the hosted daemon listens in the runtime directory");
                for (Path socket : sockets) {
                    assertEquals("rw-------", java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(socket)));
                }
            }
            // A JVM of its own asks the same daemon: one place knows the container.
            Result cold = strata.strata(mode, data, wd, Map.of("STRATA_SERVER", "off"), null, "ps");
            assertTrue(cold.out().contains("hosted") && cold.out().contains("running"), cold.out() + cold.err());
            // Stopped only once its trap is set (it says hello first), so TERM ends it with 7.
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            Result logs;
            do {
                logs = strata.strata(mode, data, wd, env, null, "logs", "hosted");
            } while (!logs.out().contains("hello-from-hosted") && System.nanoTime() < deadline);
            assertEquals("hello-from-hosted", logs.line(), logs.err());
            Result stop = strata.strata(mode, data, wd, env, null, "stop", "--timeout", "60", "hosted");
            assertEquals(0, stop.exitCode(), stop.err());
            Result waited = strata.strata(mode, data, wd, env, null, "wait", "hosted");
            assertEquals(7, waited.exitCode(), "wait exits with the container's code: " + waited.err());
            assertEquals(List.of("hello-from-hosted", "bye"), strata.strata(mode, data, wd, env, null, "logs", "hosted").out().lines().toList());
            Result after = strata.strata(mode, data, wd, Map.of("STRATA_SERVER", "off"), null, "ps", "-a");
            assertTrue(after.out().contains("exited (7)"), after.out());
        } finally {
            strata.strata(mode, data, wd, env, null, "delete", "--force", "hosted");
        }
        assertEquals(1, strata.strata(mode, data, wd, env, null, "ps").out().lines().count(), "delete forgot it");
    }

    /**
     * The server's own commands answer through its daemon in process: with more long-running containers
     * than cores (each one's exit waited for by a thread of the daemon), a further container's exit code
     * still reaches {@code wait}, again at once once it has exited, and an unknown container is one line.
     */
    @ParameterizedTest
    @EnumSource(Mode.class)
    void waitAnswersWithMoreRunningContainersThanCores(Mode mode) throws Exception {
        strata.assumeMode(mode);
        assumeFalse(Installation.direct, "this is about the server");
        Path data = strata.newStore(mode);
        String id = strata.importBusybox(mode, data);
        awaitServer(mode, data);
        Path wd = strata.newWorkDirectory(mode);
        int sleepers = Runtime.getRuntime().availableProcessors() + 1;
        List<String> started = new ArrayList<>();
        try {
            for (int i = 0; i < sleepers; i++) {
                Path manifest = Files.writeString(wd.resolve("sleep" + i + ".toml"), """
                        image = "%s"
                        name = "sleeper%d"
                        command = ["sleep", "600"]
                        """.formatted(id, i));
                Result r = strata.strata(mode, data, wd, Map.of(), null, "start", manifest.toString());
                assertEquals(0, r.exitCode(), r.err());
                started.add("sleeper" + i);
            }
            Path last = Files.writeString(wd.resolve("three.toml"), """
                    image = "%s"
                    name = "three"
                    command = ["sh", "-c", "exit 3"]
                    """.formatted(id));
            Result r = strata.strata(mode, data, wd, Map.of(), null, "start", last.toString());
            assertEquals(0, r.exitCode(), r.err());
            started.add("three");
            assertEquals(3, strata.strata(mode, data, wd, Map.of(), null, "wait", "three").exitCode());
            assertEquals(3, strata.strata(mode, data, wd, Map.of(), null, "wait", "three").exitCode(), "asked again once it has exited");
            Result unknown = strata.strata(mode, data, wd, Map.of(), null, "wait", "no-such-container");
            assertEquals(125, unknown.exitCode());
            assertEquals("strata: no container 'no-such-container'\n", unknown.err());
            Result badTimeout = strata.strata(mode, data, wd, Map.of(), null, "stop", "--timeout", "soon", "sleeper0");
            assertEquals(2, badTimeout.exitCode(), "a bad value is a usage error, before the container is looked up");
            assertEquals("strata stop: --timeout: 'soon' is not a whole number of seconds, 0-3600\n", badTimeout.err());
        } finally {
            for (String name : started) strata.strata(mode, data, wd, Map.of(), null, "delete", "--force", name);
        }
    }

    /** podman's stop, kill and rm take several containers; strata's ignored all but the first without a word. */
    @ParameterizedTest
    @EnumSource(Mode.class)
    void stopKillAndDeleteTakeSeveralContainersAndReportEach(Mode mode) throws Exception {
        strata.assumeMode(mode);
        assumeFalse(Installation.direct, "the containers are the daemon's, which the server hosts");
        Path data = strata.newStore(mode);
        String id = strata.importBusybox(mode, data);
        awaitServer(mode, data);
        Path wd = strata.newWorkDirectory(mode);
        List<String> names = List.of("first", "second");
        try {
            for (String name : names) {
                Path manifest = Files.writeString(wd.resolve(name + ".toml"), """
                        image = "%s"
                        name = "%s"
                        command = ["sleep", "600"]
                        """.formatted(id, name));
                Result r = strata.strata(mode, data, wd, Map.of(), null, "start", manifest.toString());
                assertEquals(0, r.exitCode(), r.err());
            }
            Result kill = strata.strata(mode, data, wd, Map.of(), null, "kill", "--signal", "CONT", "first", "second");
            assertEquals(0, kill.exitCode(), kill.err());
            assertEquals(names, kill.out().lines().toList(), "each container named once signalled");
            Result stop = strata.strata(mode, data, wd, Map.of(), null, "stop", "--timeout", "1", "first", "no-such-container", "second");
            assertEquals(125, stop.exitCode(), "one of three failed: " + stop.err());
            assertEquals(names, stop.out().lines().toList(), "the others are stopped all the same");
            assertEquals("strata: no container 'no-such-container'\n", stop.err());
            Result ps = strata.strata(mode, data, wd, Map.of(), null, "ps", "--format", "{{.Names}} {{.State}}");
            assertEquals(0, ps.exitCode(), ps.err());
            for (String name : names) {
                assertFalse(ps.out().lines().anyMatch(l -> l.startsWith(name + " ")), name + " still runs: " + ps.out());
            }
            Result wait = strata.strata(mode, data, wd, Map.of(), null, "wait", "first", "second");
            assertEquals(2, wait.exitCode(), "wait takes one container: " + wait.err());
            assertTrue(wait.err().contains("unexpected argument 'second'"), wait.err());
            Result delete = strata.strata(mode, data, wd, Map.of(), null, "delete", "first", "second");
            assertEquals(0, delete.exitCode(), delete.err());
            assertEquals(names, delete.out().lines().toList());
            Result all = strata.strata(mode, data, wd, Map.of(), null, "ps", "-a", "--format", "{{.Names}}");
            assertEquals(List.of(), all.out().lines().filter(names::contains).toList(), "deleted: " + all.out());
        } finally {
            for (String name : names) strata.strata(mode, data, wd, Map.of(), null, "delete", "--force", name);
        }
    }

    @Test
    void anIdleServerExits() throws Exception {
        Mode mode = Mode.ROOT;
        strata.assumeMode(mode);
        Path data = strata.newStore(mode);
        // A runtime directory of its own: in the shared one, a server that an earlier test's command started late
        // (its starter waits for that command's end, then a JVM start, seconds on a loaded machine) could take the
        // lock after this test's check and serve this command without the idle time it was given.
        Path runtime = Files.createTempDirectory(strata.home, "run-idle-");
        Files.setPosixFilePermissions(runtime, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
        // The command finds no server and starts one with the idle time it was given.
        assertEquals(0, strata.strata(mode, data, strata.home, Map.of("STRATA_SERVER_IDLE", "2", "XDG_RUNTIME_DIR", runtime.toString()),
                null, "images").exitCode());
        // From the log, not by catching the new server alive: on a loaded machine its 2 s may pass before a
        // poll sees it listening.
        Path logFile = runtime.resolve("strata/server.log");
        java.util.regex.Pattern started = java.util.regex.Pattern.compile("server (\\d+) of build " + buildId() + " listening");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        long server = 0;
        String log = "";
        while (System.nanoTime() < deadline) {
            log = Files.exists(logFile) ? Files.readString(logFile) : "";
            java.util.regex.Matcher m = started.matcher(log);
            if (m.find() && log.substring(m.start()).contains("exiting: idle for 2 s")) {
                server = Long.parseLong(m.group(1));
                break;
            }
            Thread.sleep(100);
        }
        assertNotEquals(0, server, "a new server started and exited idle after 2 s: " + log);
        awaitGone(server);
        assertFalse(Files.exists(runtime.resolve("strata/server-" + buildId() + ".sock")), "an idle server removes its socket: " + log);
    }

    /** Ctrl-C, resizing, Ctrl-Z and fg, and an exit status, in tmux, with the server and without. */
    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void jobControlOnATerminalIsTheSameWithAndWithoutTheServer(boolean direct) throws Exception {
        Mode mode = Mode.ROOT;
        strata.assumeMode(mode);
        assumeTrue(new ProcessBuilder("tmux", "-V").start().waitFor() == 0, "needs tmux");
        Path data = strata.newStore(mode);
        String id = strata.importBusybox(mode, data);
        if (!direct) awaitServer(mode, data);
        Map<String, String> env = direct ? Map.of("STRATA_SERVER", "off") : Map.of();
        String tmux = "strata-it-" + ProcessHandle.current().pid() + "-" + direct;
        Tmux t = new Tmux(tmux);
        try {
            t.start(quote(strata.command(mode, data, env, List.of("run", id, "sh"))) + "; echo status=$?; sleep 60");
            t.await(" # ");
            t.keys("sleep 100", "Enter");
            Thread.sleep(300);
            t.keys("C-c");
            t.keys("echo after-int", "Enter");
            t.await("after-int\n");
            t.resize(77, 19);
            t.keys("stty size", "Enter");
            t.await("19 77");
            t.keys("exit 3", "Enter");
            t.await("status=3");
        } finally {
            t.kill();
        }
        t = new Tmux(tmux + "-job");
        try {
            t.start("exec bash --norc --noprofile -i");
            t.keys(quote(strata.command(mode, data, env, List.of("run", id, "sh", "-c", "sleep 2; echo slept; exit 7"))), "Enter");
            Thread.sleep(800);
            t.keys("C-z");
            t.await("Stopped");
            t.keys("fg", "Enter");
            t.await("slept");
            t.keys("echo rc=$?", "Enter");
            t.await("rc=7");
        } finally {
            t.kill();
        }
    }

    private record Tmux(String socket) {
        void start(String command) throws Exception {
            Installation.exec(List.of("tmux", "-L", socket, "new-session", "-d", "-x", "100", "-y", "30", command));
        }

        void keys(String... keys) throws Exception {
            List<String> cmd = new ArrayList<>(List.of("tmux", "-L", socket, "send-keys"));
            cmd.addAll(List.of(keys));
            Installation.exec(cmd);
        }

        void resize(int columns, int rows) throws Exception {
            Installation.exec(List.of("tmux", "-L", socket, "resize-window", "-x", Integer.toString(columns), "-y", Integer.toString(rows)));
        }

        /** Waits (up to 60 s) until the pane shows {@code text}. */
        void await(String text) throws Exception {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            String screen = "";
            while (System.nanoTime() < deadline) {
                Process p = new ProcessBuilder("tmux", "-L", socket, "capture-pane", "-p", "-J").start();
                screen = new String(p.getInputStream().readAllBytes());
                p.waitFor();
                if (screen.contains(text)) return;
                Thread.sleep(50);
            }
            throw new AssertionError("the terminal never showed '" + text + "':\n" + screen);
        }

        void kill() throws Exception {
            new ProcessBuilder("tmux", "-L", socket, "kill-server").start().waitFor();
        }
    }

    private static String quote(List<String> words) {
        StringBuilder b = new StringBuilder();
        for (String w : words) b.append(b.isEmpty() ? "" : " ").append('\'').append(w.replace("'", "'\\''")).append('\'');
        return b.toString();
    }

    private static String buildId() throws Exception {
        return strata.buildId();
    }

    private static Path socket(Mode mode) throws Exception {
        return strata.runtimeDirectory(mode).resolve("server-" + buildId() + ".sock");
    }

    /** With no server running, runs a command (which starts one); waits until a server listens; its pid. */
    private static long awaitServer(Mode mode, Path data) throws Exception {
        if (strata.serverPid(mode) == 0 || !Files.exists(socket(mode))) assertEquals(0, strata.strata(mode, data, "images").exitCode());
        return awaitListening(mode);
    }

    private static long awaitListening(Mode mode) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            long pid = strata.serverPid(mode);
            if (pid != 0 && Files.exists(socket(mode))) return pid;
            Thread.sleep(50);
        }
        throw new AssertionError("no server started for " + mode);
    }

    private static void awaitGone(long pid) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false) && System.nanoTime() < deadline) Thread.sleep(50);
        assertFalse(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false), "process " + pid + " ended");
    }
}
