package runtime.core.launch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import runtime.api.net.NetworkAttachment;
import runtime.api.plan.Namespaces;
import runtime.api.plan.SetupOp;
import runtime.api.sys.Posix;

/** The helper runs plans for real: namespaces, mounts and exec, as whoever runs the tests. */
class LauncherTest {
    private static final NetworkAttachment HOST = () -> 0;
    private final IdMaps ids = IdMaps.forCaller(Posix.getuid(), Posix.getgid(), System.getProperty("user.name"),
            Map.of("STRATA_IDMAP", "single"));

    private Container start(List<SetupOp> plan) throws Exception {
        return Launcher.locate().start(plan, HOST, new Timings());
    }

    @Test
    void execReportsTheCommandsExitCode() throws Exception {
        Container c = start(List.of(new SetupOp.Exec(List.of("sh", "-c", "exit 3"), List.of("PATH=/bin:/usr/bin"))));
        assertEquals(3, c.waitFor().shellCode());
    }

    /**
     * A helper that stays while a container runs (here the relay of a pid namespace) runs from a sealed
     * in-memory copy of itself, and is not dumpable: only a process with CAP_SYS_PTRACE over the host (root
     * here) may read its /proc/PID/exe at all, and what it names is that copy, not the host's binary.
     */
    @Test
    void aHelperThatStaysBesideAContainerRunsFromASealedCopy() throws Exception {
        List<SetupOp> plan = List.of(
                ContainerPlans.namespaces(ids, Namespaces.MOUNT),
                new SetupOp.EnterPidNamespace(),
                new SetupOp.Exec(List.of("sleep", "30"), List.of("PATH=/bin:/usr/bin")));
        Container c = start(plan);
        try {
            Path exe = Path.of("/proc", Long.toString(c.pid()), "exe");
            if (Posix.getuid() == 0) {
                assertTrue(Files.readSymbolicLink(exe).toString().startsWith("/memfd:strata-helper"), Files.readSymbolicLink(exe).toString());
            } else {
                assertThrows(java.nio.file.AccessDeniedException.class, () -> Files.readSymbolicLink(exe), "not dumpable");
            }
        } finally {
            Posix.kill(c.pid(), Posix.SIGKILL);
            c.waitFor();
        }
    }

    @Test
    void onlyPlansThatShareTheHostsProcessesSkipTheSealedCopy() {
        SetupOp exec = new SetupOp.Exec(List.of("true"), List.of());
        assertTrue(Launcher.sharesHostProcesses(List.of(ContainerPlans.namespaces(ids, Namespaces.MOUNT), exec)));
        assertFalse(Launcher.sharesHostProcesses(List.of(ContainerPlans.namespaces(ids, Namespaces.MOUNT), new SetupOp.EnterPidNamespace(), exec)));
        assertFalse(Launcher.sharesHostProcesses(List.of(new SetupOp.JoinNamespace(Path.of("/proc/1/ns/pid"), Namespaces.PID), exec)));
        assertFalse(Launcher.sharesHostProcesses(List.of(new SetupOp.OciPidNamespace(null, true), exec)));
        assertFalse(Launcher.sharesHostProcesses(List.of(new SetupOp.Unshare(Namespaces.PID), exec)));
    }

    /** The argument and the failure step the helper and the launcher share. */
    @Test
    void theHelperKnowsTheSealingArgumentAndStep() throws Exception {
        String c = Files.readString(Path.of(System.getProperty("user.dir"), "src/main/c/strata-helper.c"));
        assertTrue(c.contains("strcmp(argv[2], \"" + Launcher.SHARES_HOST + "\") == 0"), "shares-host in strata-helper.c");
        assertTrue(c.contains("#define STEP_SEALING (" + Launcher.STEP_SEALING + ")"), "STEP_SEALING in strata-helper.c");
    }

    @Test
    void missingCommandIsCommandNotFound() {
        LaunchException e = assertThrows(LaunchException.class,
                () -> start(List.of(new SetupOp.Exec(List.of("no-such-command-xyz"), List.of("PATH=/bin")))));
        assertEquals("no-such-command-xyz: command not found", e.getMessage());
        assertEquals(127, e.exitCode());
        assertEquals(0, e.failedStep());
    }

    @Test
    void failingStepIsNamedWithItsErrno() {
        List<SetupOp> plan = List.of(
                ContainerPlans.namespaces(ids, Namespaces.MOUNT),
                new SetupOp.Mount(null, Path.of("/nonexistent-strata-dir"), "tmpfs", 0, null),
                new SetupOp.Exec(List.of("true"), List.of()));
        LaunchException e = assertThrows(LaunchException.class, () -> start(plan));
        assertEquals("mount tmpfs on /nonexistent-strata-dir: No such file or directory", e.getMessage());
        assertEquals(1, e.failedStep());
        assertEquals(125, e.exitCode());
    }

    @Test
    void mountsStayInsideTheContainersNamespace(@TempDir Path dir) throws Exception {
        List<SetupOp> plan = List.of(
                ContainerPlans.namespaces(ids, Namespaces.MOUNT),
                ContainerPlans.PRIVATE_PROPAGATION,
                new SetupOp.Mount("tmpfs", dir, "tmpfs", 0, "mode=0755"),
                new SetupOp.Exec(List.of("sh", "-c", "touch " + dir + "/inside && grep -q ' " + dir + " tmpfs' /proc/self/mounts"),
                        List.of("PATH=/bin:/usr/bin")));
        Container c = start(plan);
        assertEquals(0, c.waitFor().shellCode());
        assertTrue(Files.notExists(dir.resolve("inside")), "the file went to the container's tmpfs, not the host directory");
    }

    @Test
    void relativeTargetsCannotEscapeTheRootThroughSymlinks(@TempDir Path dir) throws Exception {
        Path root = Files.createDirectories(dir.resolve("root"));
        Path outside = Files.createDirectories(dir.resolve("outside"));
        // The "image" points etc at a host directory; binding onto etc/x must land inside root, not in outside/.
        Files.createSymbolicLink(root.resolve("etc"), outside);
        Path source = Files.writeString(dir.resolve("source"), "data");
        List<SetupOp> plan = List.of(
                ContainerPlans.namespaces(ids, Namespaces.MOUNT),
                ContainerPlans.PRIVATE_PROPAGATION,
                new SetupOp.Mount("tmpfs", root, "tmpfs", 0, "mode=0755"),
                new SetupOp.UseRoot(root),
                new SetupOp.Bind(source, Path.of("etc/x"), true, false),
                new SetupOp.Exec(List.of("true"), List.of("PATH=/bin:/usr/bin")));
        assertEquals(0, start(plan).waitFor().shellCode());
        try (var files = Files.list(outside)) {
            assertEquals(0, files.count(), "nothing was created through the symlink");
        }
    }

    @Test
    void syncStepWaitsForTheParent() throws Exception {
        long[] seen = new long[1];
        NetworkAttachment net = new NetworkAttachment() {
            @Override
            public int namespaces() {
                return 0;
            }

            @Override
            public boolean wantsStartedCallback() {
                return true;
            }

            @Override
            public void started(long pid) {
                seen[0] = pid;
            }
        };
        Container c = Launcher.locate().start(List.of(new SetupOp.SyncWithParent(),
                new SetupOp.Exec(List.of("true"), List.of("PATH=/bin:/usr/bin"))), net, new Timings());
        assertEquals(0, c.waitFor().shellCode());
        assertEquals(c.pid(), seen[0]);
    }

    @Test
    void stdioGoesToTheGivenDescriptorsWhateverTheirNumbers(@TempDir Path dir) throws Exception {
        // Open enough files that one of them may well have a number the launcher also uses (3, 4, 5).
        Path out = dir.resolve("out");
        int fd = Posix.open(out.toString(), Posix.O_WRONLY | Posix.O_CREAT | Posix.O_TRUNC | Posix.O_CLOEXEC, 0644);
        try {
            Container c = Launcher.locate().start(List.of(new SetupOp.Exec(List.of("sh", "-c", "echo to-stdout"),
                    List.of("PATH=/bin:/usr/bin"))), HOST, new Timings(), Map.of(1, fd));
            assertEquals(0, c.waitFor().shellCode());
        } finally {
            Posix.close(fd);
        }
        assertEquals("to-stdout\n", Files.readString(out));
        assertThrows(IllegalArgumentException.class, () -> Launcher.locate().start(
                List.of(new SetupOp.Exec(List.of("true"), List.of())), HOST, new Timings(), Map.of(3, 1)));
    }

    /**
     * A plan whose step has the wrong number of arguments (a mount with two of its five) or an exec whose
     * argument count runs past its list fails before any step runs, and the report names that step: the
     * helper reads the whole plan and checks every step's arity first.
     */
    @Test
    void aMalformedStepFailsBeforeAnyStepRunsAndIsNamed(@TempDir Path dir) throws Exception {
        Path made = dir.resolve("made");
        int mkdirs = PlanEncoder.Opcode.MKDIRS.code, mount = PlanEncoder.Opcode.MOUNT.code, exec = PlanEncoder.Opcode.EXEC.code;
        assertEquals(List.of(1, 71), helperReport(rawPlan(List.of(mkdirs, mount, exec),
                List.of(List.of(made.toString(), "493"), List.of("tmpfs", "/x"), List.of("1", "true")))));
        assertFalse(Files.exists(made), "the well-formed first step did not run");
        assertEquals(List.of(1, 71), helperReport(rawPlan(List.of(mkdirs, exec),
                List.of(List.of(made.toString(), "493"), List.of("5", "true", "PATH=/bin")))));
        assertEquals(List.of(0, 71), helperReport(rawPlan(List.of(9999), List.of(List.of()))), "an unknown opcode");
        byte[] whole = rawPlan(List.of(mkdirs, exec), List.of(List.of(made.toString(), "493"), List.of("1", "true")));
        assertEquals(List.of(1, 71), helperReport(java.util.Arrays.copyOf(whole, whole.length - 2)), "a plan cut short");
        assertFalse(Files.exists(made));
    }

    /** Encodes steps as PlanEncoder does, with whatever arguments, well-formed or not. */
    private static byte[] rawPlan(List<Integer> opcodes, List<List<String>> args) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        java.util.function.IntConsumer u32 = v -> out.writeBytes(
                java.nio.ByteBuffer.allocate(4).order(java.nio.ByteOrder.nativeOrder()).putInt(v).array());
        u32.accept(PlanEncoder.MAGIC);
        u32.accept(PlanEncoder.VERSION);
        u32.accept(opcodes.size());
        for (int i = 0; i < opcodes.size(); i++) {
            u32.accept(opcodes.get(i));
            u32.accept(args.get(i).size());
            for (String a : args.get(i)) {
                byte[] b = a.getBytes(java.nio.charset.StandardCharsets.UTF_8);
                u32.accept(b.length);
                out.writeBytes(b);
            }
        }
        return out.toByteArray();
    }

    /** Runs the real helper on {@code plan}; its failure report's step and errno. */
    private static List<Integer> helperReport(byte[] plan) throws Exception {
        int[] planPipe = Posix.pipe(), status = Posix.pipe();
        try {
            Posix.writeAll(planPipe[1], plan);
            Posix.close(planPipe[1]);
            planPipe[1] = -1;
            long pid = runtime.api.sys.Spawn.spawn(Launcher.locate().helper().toString(), List.of("strata-helper", "0"), List.of(),
                    Map.of(3, planPipe[0], 4, status[1]));
            Posix.close(status[1]);
            status[1] = -1;
            byte[] report = new byte[16];
            assertEquals(16, Posix.read(status[0], report, 16));
            assertEquals(125, new runtime.api.sys.WaitStatus(Posix.waitpid(pid)).exitCode());
            java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(report).order(java.nio.ByteOrder.nativeOrder());
            assertEquals(1, b.getInt(), "a failure report");
            return List.of(b.getInt(), b.getInt());
        } finally {
            Posix.close(planPipe[0]);
            Posix.close(planPipe[1]);
            Posix.close(status[0]);
            Posix.close(status[1]);
        }
    }
}
