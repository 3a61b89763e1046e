package runtime.core.launch;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import runtime.api.net.NetworkAttachment;
import runtime.api.plan.Namespaces;
import runtime.api.plan.SetupOp;
import runtime.api.sys.Errno;
import runtime.api.sys.ErrnoException;
import runtime.api.sys.Posix;
import runtime.api.sys.WaitStatus;

/**
 * Starts containers: spawns the native helper with {@code posix_spawn}, hands it the encoded plan and
 * listens on its status channel. A failed step comes back as its index and errno, which this class turns
 * into a {@link LaunchException} naming the step. End of file on the channel means the final exec
 * succeeded (the descriptor is close-on-exec).
 */
public final class Launcher {
    private static final int REPORT_FAILED = 1;
    private static final int REPORT_READY = 2;
    private static final int REPORT_PID = 3;
    private static final int REPORT_CREATED = 4;
    private static final int REPORT_SIZE = 16;

    private final Path helper;

    public Launcher(Path helper) {
        this.helper = helper;
    }

    /** The helper found from this JVM's own environment (tests, tools). */
    public static Launcher locate() throws LaunchException {
        return new Launcher(HelperBinary.locate(System.getenv(), Path.of("").toAbsolutePath()));
    }

    /** The helper found for a caller ({@code $STRATA_HELPER} in {@code env}, see {@link HelperBinary}). */
    public static Launcher locate(Map<String, String> env, Path cwd) throws LaunchException {
        return new Launcher(HelperBinary.locate(env, cwd));
    }

    public Path helper() {
        return helper;
    }

    /** Starts {@code plan}; {@code network} is told the pid when the plan has a sync step. */
    public Container start(List<SetupOp> plan, NetworkAttachment network, Timings timings) throws LaunchException {
        return start(plan, network, timings, Map.of());
    }

    /**
     * Starts {@code plan} with some of the child's standard descriptors replaced: {@code stdio} maps 0, 1
     * or 2 in the child to descriptors of this process (e.g. {@code 1 -> a file opened for export});
     * the others are inherited. The caller keeps ownership of its descriptors.
     */
    public Container start(List<SetupOp> plan, NetworkAttachment network, Timings timings, Map<Integer, Integer> stdio)
            throws LaunchException {
        for (int target : stdio.keySet()) {
            if (target < 0 || target > 2) throw new IllegalArgumentException("stdio maps only descriptors 0, 1 and 2: " + target);
        }
        Started started = execute(plan, new HashMap<>(stdio), 0, ready(network), timings);
        timings.mark("setup+exec");
        return new Container(started.helper(), network, timings);
    }

    /**
     * An OCI container's process: {@code helper} is strata's child (a relay when the plan forked into a
     * pid namespace without detaching, gone when it detached), {@code pid} the command's host pid.
     */
    public record OciProcess(Spawner.Child child, long pid) {
        public long helper() {
            return child.pid();
        }
    }

    /** What {@link #execute} started: the helper process and the command's pid (the same unless it forked). */
    private record Started(Spawner.Child helper, long commandPid) {}

    /** What the host does at a {@link SetupOp.SyncWithParent} step, given the host pid of the process there. */
    @FunctionalInterface
    public interface ReadyHandler {
        void ready(long pid) throws LaunchException;
    }

    private static ReadyHandler ready(NetworkAttachment network) {
        return pid -> {
            try {
                network.started(pid);
            } catch (RuntimeException e) {
                throw new LaunchException("network setup: " + e.getMessage(), 125, e);
            }
        };
    }

    /**
     * Starts an OCI plan and returns once it is set up: when it reports {@link SetupOp.AwaitStart} (the
     * command waits for {@code strata oci start}) or has exec'd. {@code preservedFds} of this process's
     * descriptors from 3 on reach the command (the plan must have a {@link SetupOp.PreserveFds} step);
     * {@code ready} runs at the plan's {@link SetupOp.SyncWithParent} step, if it has one. {@code stdio}
     * maps the command's 0, 1, 2 to descriptors of this process, as for {@link #start}.
     */
    public OciProcess startOci(List<SetupOp> plan, int preservedFds, Map<Integer, Integer> stdio, ReadyHandler ready, Timings timings)
            throws LaunchException {
        Map<Integer, Integer> fds = new HashMap<>(stdio);
        for (int i = 0; i < preservedFds; i++) fds.put(6 + i, 3 + i);
        Started started = execute(plan, fds, preservedFds, ready, timings);
        timings.mark("setup");
        return new OciProcess(started.helper(), started.commandPid());
    }

    /**
     * Spawns the helper with {@code fds} (child descriptor to one of ours) plus its plan, status and, when
     * the plan has a sync step, sync channels; sends the plan and follows the reports until the helper
     * has exec'd or reported that it waits for {@code start}. The helper is spawned by the invocation's
     * {@link Spawner} (this process, or the caller's front through the server).
     */
    private Started execute(List<SetupOp> plan, Map<Integer, Integer> fds, int preservedFds, ReadyHandler ready, Timings timings)
            throws LaunchException {
        boolean sharesHost = sharesHostProcesses(plan);
        List<String> argv = sharesHost
                ? List.of("strata-helper", Integer.toString(preservedFds), SHARES_HOST)
                : List.of("strata-helper", Integer.toString(preservedFds));
        // A plan that needs the helper sealed starts it from this JVM's sealed copy, passed as the first
        // descriptor after the helper's own (which it closes first thing) and exec'd through /proc/self/fd.
        String program = helper.toString();
        int sealed = sharesHost ? -1 : HelperBinary.sealedCopy(helper);
        if (sealed >= 0) {
            int target = 6 + preservedFds;
            fds.put(target, sealed);
            program = "/proc/self/fd/" + target;
        }
        if (plan.isEmpty() || !(plan.getLast() instanceof SetupOp.Exec)) {
            throw new IllegalArgumentException("a plan ends with Exec");
        }
        boolean sync = plan.stream().anyMatch(op -> op instanceof SetupOp.SyncWithParent);
        byte[] encoded = PlanEncoder.encode(plan);
        int[] planPipe = null, statusPipe = null, syncPipe = null;
        Spawner.Child child;
        boolean planWritten = false;
        try {
            planPipe = Posix.pipe();
            // Written before the spawn when the pipe holds it all (the usual plan is a few KiB, a pipe 64):
            // the helper then starts on it at once, not after the spawn's round trip (through the server,
            // the front's reply) and this thread's wake-up. A larger plan follows the spawn, as it must.
            if (encoded.length <= Posix.pipeCapacity(planPipe[1])) {
                Posix.writeAll(planPipe[1], encoded);
                Posix.close(planPipe[1]);
                planPipe[1] = -1;
                planWritten = true;
            }
            statusPipe = Posix.pipe();
            fds.put(3, planPipe[0]);
            fds.put(4, statusPipe[1]);
            if (sync) {
                syncPipe = Posix.pipe();
                fds.put(5, syncPipe[0]);
            }
            child = Spawner.current().spawn(program, argv, List.of(), fds);
        } catch (ErrnoException e) {
            closeAll(planPipe, statusPipe, syncPipe);
            throw new LaunchException(e.getMessage(), 125, e);
        }
        timings.mark("spawn");
        Posix.close(planPipe[0]);
        Posix.close(statusPipe[1]);
        if (syncPipe != null) Posix.close(syncPipe[0]);
        long pid = child.pid();
        long[] commandPid = {pid};
        try {
            if (!planWritten) {
                Posix.writeAll(planPipe[1], encoded);
                Posix.close(planPipe[1]);
                planPipe[1] = -1;
            }
            readReports(child, plan, statusPipe[0], syncPipe == null ? -1 : syncPipe[1], ready, commandPid);
        } catch (ErrnoException e) {
            reap(child);
            throw new LaunchException("talking to strata-helper: " + e.getMessage(), 125, e);
        } finally {
            Posix.close(planPipe[1]);
            Posix.close(statusPipe[0]);
            if (syncPipe != null) Posix.close(syncPipe[1]);
        }
        return new Started(child, commandPid[0]);
    }

    /** The helper's argument that lets it skip running from a sealed copy of itself (strata-helper.c, run_from_sealed_copy). */
    static final String SHARES_HOST = "shares-host";

    /** The step a helper reports when it cannot re-execute itself from a sealed copy (STEP_SEALING in strata-helper.c). */
    static final int STEP_SEALING = -2;

    /**
     * Whether the plan's processes stay among the host's, in its pid namespace (a plash run, a host-side
     * view of an image): they run as the caller and can write whatever the caller can, the helper's
     * binary included, so its sealed copy (about 1 ms per start, docs/security.md) would protect
     * nothing. A plan that makes or joins a pid namespace (isolated, daemon, OCI) always gets the copy.
     */
    static boolean sharesHostProcesses(List<SetupOp> plan) {
        for (SetupOp op : plan) {
            if (op instanceof SetupOp.EnterPidNamespace || op instanceof SetupOp.OciPidNamespace || op instanceof SetupOp.JoinNamespace
                    || op instanceof SetupOp.JoinUserNamespace) return false;
            if (op instanceof SetupOp.Unshare u && (u.namespaces() & Namespaces.PID) != 0) return false;
            if (op instanceof SetupOp.EnterUserNamespace u && (u.otherNamespaces() & Namespaces.PID) != 0) return false;
        }
        return true;
    }

    private void readReports(Spawner.Child child, List<SetupOp> plan, int statusFd, int syncFd, ReadyHandler ready, long[] commandPid)
            throws ErrnoException, LaunchException {
        long pid = child.pid();
        // A plan that forks into a pid namespace has the helper report the child's pid before the child
        // may report anything (strata-helper.c, oci_pid_namespace): without it, the pid is not the container's.
        boolean forks = plan.stream().anyMatch(op -> op instanceof SetupOp.OciPidNamespace);
        boolean pidReported = false;
        byte[] record = new byte[REPORT_SIZE];
        while (true) {
            int got = 0;
            while (got < REPORT_SIZE) {
                byte[] chunk = new byte[REPORT_SIZE - got];
                int n = Posix.read(statusFd, chunk, chunk.length);
                if (n == 0) break;
                System.arraycopy(chunk, 0, record, got, n);
                got += n;
            }
            if (got == 0) { // exec succeeded
                if (forks && !pidReported) throw unordered(child, "exec'd");
                return;
            }
            if (got < REPORT_SIZE) {
                WaitStatus st = reap(child);
                throw new LaunchException("strata-helper ended during setup (" + describe(st) + ")", 125);
            }
            ByteBuffer b = ByteBuffer.wrap(record).order(ByteOrder.nativeOrder());
            int kind = b.getInt(), step = b.getInt(), error = b.getInt(), detail = b.getInt();
            if (kind == REPORT_PID) {
                commandPid[0] = detail;
                pidReported = true;
                continue;
            }
            if (kind == REPORT_CREATED) {
                if (forks && !pidReported) throw unordered(child, "created");
                return;
            }
            if (kind == REPORT_READY) {
                if (forks && !pidReported) throw unordered(child, "ready");
                try {
                    ready.ready(detail);
                } catch (LaunchException e) {
                    // The process waits on the sync pipe (and a relay on it): neither would end by itself.
                    Posix.kill(detail, Posix.SIGKILL);
                    if (detail != pid) Posix.kill(pid, Posix.SIGKILL);
                    reap(child);
                    throw e;
                }
                Posix.writeAll(syncFd, new byte[] {1});
                continue;
            }
            if (kind == REPORT_FAILED) {
                reap(child);
                throw failure(plan, step, error, detail);
            }
            reap(child);
            throw new LaunchException("strata-helper sent an unknown report " + kind, 125);
        }
    }

    /** The helper broke the report order: what it started must not run on unaccounted for. */
    private static LaunchException unordered(Spawner.Child child, String what) {
        try {
            Posix.kill(child.pid(), Posix.SIGKILL);
        } catch (ErrnoException e) {
            // gone already
        }
        reap(child);
        return new LaunchException("strata-helper reported the container " + what + " before its pid", 125);
    }

    private static LaunchException failure(List<SetupOp> plan, int step, int error, int detail) {
        if (step == STEP_SEALING) {
            return new LaunchException("strata-helper cannot run from a sealed copy of itself (memfd_create, or exec of it refused by"
                    + " vm.memfd_noexec): " + Errno.describe(error), 125);
        }
        if (step < 0 || step >= plan.size()) {
            return new LaunchException("strata-helper could not read its plan: " + Errno.describe(error), 125);
        }
        SetupOp op = plan.get(step);
        if (op instanceof SetupOp.Exec exec) {
            String cmd = exec.argv().getFirst();
            if (error == Errno.ENOENT) return new LaunchException(cmd + ": command not found", 127, step);
            if (error == Errno.EACCES) return new LaunchException(cmd + ": permission denied", 126, step);
            return new LaunchException(cmd + ": " + Errno.describe(error), 126, step);
        }
        if (op instanceof SetupOp.StartFuse f && error == Errno.ETIMEDOUT) {
            return new LaunchException(op.describe() + ": no mount appeared within " + f.timeoutMillis() + " ms", 125, step);
        }
        if (op instanceof SetupOp.StartFuse && error == Errno.ENOENT) {
            return new LaunchException(op.describe() + ": program not found", 125, step);
        }
        if (error == 0) {
            return new LaunchException(op.describe() + ": " + describe(new WaitStatus(detail)), 125, step);
        }
        return new LaunchException(op.describe() + ": " + Errno.describe(error), 125, step);
    }

    private static String describe(WaitStatus st) {
        if (st == null) return "unknown status";
        return st.exited() ? "exited with status " + st.exitCode() : "killed by signal " + st.signal();
    }

    private static WaitStatus reap(Spawner.Child child) {
        try {
            return child.waitFor();
        } catch (ErrnoException e) {
            return null;
        }
    }

    private static void closeAll(int[]... pipes) {
        for (int[] p : pipes) {
            if (p != null) {
                Posix.close(p[0]);
                Posix.close(p[1]);
            }
        }
    }
}
