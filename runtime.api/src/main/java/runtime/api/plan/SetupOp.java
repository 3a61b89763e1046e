package runtime.api.plan;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * One step of a container's setup, executed in order by the native helper between its start and the
 * final {@code execve} (in the manner of bubblewrap's list of setup operations). Java computes the whole
 * list; the helper only performs it and reports the index and errno of the step that failed, so no Java
 * code ever runs in a forked child.
 *
 * <p>Paths are absolute and interpreted in the helper's mount namespace at the time the step runs.
 */
public sealed interface SetupOp {

    /** Human wording of the step for error messages: {@code "mount overlay on /x"}. */
    String describe();

    /**
     * Enter a new user namespace together with {@code otherNamespaces} (a mask of {@link Namespaces}
     * flags) and install the id maps. When {@code newuidmap}/{@code newgidmap} are given, the helper runs
     * them for itself (needed for maps with more than the caller's own id); otherwise it writes the
     * single-line maps itself after denying setgroups. Afterwards the process is root in the namespace.
     */
    record EnterUserNamespace(int otherNamespaces, List<IdMapping> uidMap, List<IdMapping> gidMap,
                              Path newuidmap, Path newgidmap) implements SetupOp {
        public EnterUserNamespace {
            uidMap = List.copyOf(uidMap);
            gidMap = List.copyOf(gidMap);
            if ((newuidmap == null) != (newgidmap == null)) {
                throw new IllegalArgumentException("newuidmap and newgidmap go together");
            }
        }

        @Override
        public String describe() {
            return newuidmap == null ? "create user namespace" : "create user namespace with " + newuidmap;
        }
    }

    /**
     * Have the kernel kill the container with SIGKILL when the strata process that started it dies
     * (and stop at once if it already has). For build steps: a killed build must not leave a process
     * writing into its staging directory.
     */
    record DieWithParent() implements SetupOp {
        @Override
        public String describe() {
            return "tie the container's life to strata's";
        }
    }

    /**
     * Enter a new pid namespace: the helper forks; the parent stays outside as a relay (strata waits for
     * it; it passes signals on and exits as the container does), the child is pid 1 and runs the rest of
     * the plan in a session of its own (the caller's terminal is not its controlling terminal, so it
     * cannot type into the caller's shell with TIOCSTI). At {@link Exec} it forks once more and stays as
     * init: it reaps orphans, passes signals to the command and exits with the command's status.
     */
    record EnterPidNamespace() implements SetupOp {
        @Override
        public String describe() {
            return "create pid namespace";
        }
    }

    /** A symlink {@code link -> target}; a relative {@code link} is made inside the root. */
    record Symlink(String target, Path link) implements SetupOp {
        @Override
        public String describe() {
            return "symlink " + link + " -> " + target;
        }
    }

    /** {@code PR_SET_NO_NEW_PRIVS}: no setuid or file capability can raise the container's privileges. */
    record NoNewPrivileges() implements SetupOp {
        @Override
        public String describe() {
            return "set no_new_privs";
        }
    }

    /**
     * Keep only the capabilities numbered in {@code keep} (bounding, permitted, effective and inheritable
     * sets; ambient cleared), as container runtimes' default set does.
     */
    record DropCapabilities(List<Integer> keep) implements SetupOp {
        public DropCapabilities {
            keep = List.copyOf(keep);
        }

        @Override
        public String describe() {
            return "drop capabilities";
        }
    }

    /** Install a seccomp filter: a classic BPF program ({@code struct sock_filter[]}, host byte order). */
    record Seccomp(byte[] program) implements SetupOp {
        public Seccomp {
            program = program.clone();
            if (program.length == 0 || program.length % 8 != 0) throw new IllegalArgumentException("not a BPF program");
        }

        @Override
        public byte[] program() {
            return program.clone();
        }

        @Override
        public String describe() {
            return "load seccomp filter";
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Seccomp s && java.util.Arrays.equals(program, s.program);
        }

        @Override
        public int hashCode() {
            return java.util.Arrays.hashCode(program);
        }
    }

    /**
     * Join the user namespace of process {@code pid} (one strata made: a named network's holder) and
     * become root in it, instead of creating a new one; later steps unshare the other namespaces in it.
     */
    record JoinUserNamespace(long pid) implements SetupOp {
        @Override
        public String describe() {
            return "join the user namespace of process " + pid;
        }
    }

    /** {@code unshare(2)} the given {@link Namespaces} flags (as root, or inside a user namespace). */
    record Unshare(int namespaces) implements SetupOp {
        @Override
        public String describe() {
            return "unshare " + Namespaces.describe(namespaces);
        }
    }

    /**
     * From here on, relative target paths of {@link Mount}, {@link Bind} and {@link MakeDirectories}
     * resolve inside {@code root} as if it were {@code /}: symlinks in the image cannot redirect a mount
     * to the host (the helper uses openat2 with RESOLVE_IN_ROOT).
     */
    record UseRoot(Path root) implements SetupOp {
        @Override
        public String describe() {
            return "open root " + root;
        }
    }

    /** {@code mount(2)} as is; {@code source}, {@code fstype} and {@code data} may be null. */
    record Mount(String source, Path target, String fstype, long flags, String data) implements SetupOp {
        public Mount {
            Objects.requireNonNull(target, "target");
        }

        @Override
        public String describe() {
            if ((flags & MountFlags.MS_BIND) != 0) {
                return "bind " + source + " on " + target;
            }
            if (fstype == null) {
                return "change mount " + target;
            }
            return "mount " + fstype + " on " + target;
        }
    }

    /**
     * Bind {@code source} on {@code target} (recursively), then remount read-only if asked. A missing
     * {@code source} is an error unless {@code optional}; a missing target is created (directory or
     * empty file, like the source).
     */
    record Bind(Path source, Path target, boolean readOnly, boolean optional) implements SetupOp {
        public Bind {
            Objects.requireNonNull(source, "source");
            Objects.requireNonNull(target, "target");
        }

        @Override
        public String describe() {
            return "bind " + source + " on " + target;
        }
    }

    /** {@code mkdir -p} with the given mode for directories it creates. */
    record MakeDirectories(Path path, int mode) implements SetupOp {
        @Override
        public String describe() {
            return "create directory " + path;
        }
    }

    /**
     * Run a program and wait for it to exit 0 (for example a FUSE daemon that forks once its mount is
     * up). Its stdin is /dev/null; its output goes to the container's stderr.
     */
    record RunProgram(List<String> argv) implements SetupOp {
        public RunProgram {
            argv = List.copyOf(argv);
            if (argv.isEmpty()) {
                throw new IllegalArgumentException("empty argv");
            }
        }

        @Override
        public String describe() {
            return "run " + String.join(" ", argv);
        }
    }

    /**
     * Start a FUSE daemon that serves {@code mountpoint} in the foreground, tied to the container, and wait
     * until {@code mountpoint} is a mount (its device differs from its parent directory's). The helper
     * forks a small keeper (its own session, so a terminal's Ctrl-C does not reach the daemon) with a
     * parent-death signal; the keeper runs the daemon and stops it when the container's process (the
     * helper after exec) ends. A daemonizing FUSE program would instead live on in the mount namespace it
     * keeps alive and never see its mount vanish. {@code argv} must keep the program in the foreground
     * ({@code -f}) and should name the store's paths, so strays can be found by their argv.
     *
     * @param quiet   send the daemon's stderr to /dev/null (for programs that log every request)
     * @param timeoutMillis how long the mount may take to appear before the step fails
     */
    record StartFuse(List<String> argv, Path mountpoint, boolean quiet, int timeoutMillis) implements SetupOp {
        public StartFuse {
            argv = List.copyOf(argv);
            Objects.requireNonNull(mountpoint, "mountpoint");
            if (argv.isEmpty()) {
                throw new IllegalArgumentException("empty argv");
            }
            if (timeoutMillis <= 0) {
                throw new IllegalArgumentException("timeout must be positive");
            }
        }

        @Override
        public String describe() {
            return "start " + argv.getFirst() + " on " + mountpoint;
        }
    }

    /**
     * Tell strata the namespaces are ready (it learns the helper's pid from the spawn) and wait until it
     * answers, so that host-side setup (a network attached to the namespace) happens before exec.
     */
    record SyncWithParent() implements SetupOp {
        @Override
        public String describe() {
            return "wait for strata";
        }
    }

    /** Bring the loopback interface of a new network namespace up. */
    record LoopbackUp() implements SetupOp {
        @Override
        public String describe() {
            return "bring up loopback";
        }
    }

    /** {@code pivot_root} into {@code newRoot} and detach the old root. */
    record PivotRoot(Path newRoot) implements SetupOp {
        @Override
        public String describe() {
            return "pivot_root to " + newRoot;
        }
    }

    /** {@code sethostname(2)}, in a new UTS namespace. */
    record SetHostname(String hostname) implements SetupOp {
        @Override
        public String describe() {
            return "set hostname " + hostname;
        }
    }

    /** {@code chdir(2)} to {@code directory}, or to {@code fallback} if it does not exist. */
    record ChangeDirectory(Path directory, Path fallback) implements SetupOp {
        @Override
        public String describe() {
            return "change directory to " + directory;
        }
    }

    /**
     * Replace the helper with {@code argv}, searched in the {@code PATH} of {@code environment} when it
     * has no slash. Always the last step.
     */
    record Exec(List<String> argv, List<String> environment) implements SetupOp {
        public Exec {
            argv = List.copyOf(argv);
            environment = List.copyOf(environment);
            if (argv.isEmpty()) {
                throw new IllegalArgumentException("empty command");
            }
        }

        @Override
        public String describe() {
            return argv.getFirst();
        }
    }

    /**
     * Enter a pid namespace (a new one, or the one at {@code join}) the OCI way: the helper forks, the
     * child becomes the command itself (pid 1 of a new namespace, no init of strata's; in a session of its
     * own, as runc gives, so an inherited terminal is not its controlling one) and the parent
     * reports the child's host pid, then exits ({@code detach}: the process outlives strata, whose caller
     * reaps it) or stays as a relay that passes signals on and mirrors the command's end.
     */
    record OciPidNamespace(Path join, boolean detach) implements SetupOp {
        @Override
        public String describe() {
            return join == null ? "create pid namespace" : "join pid namespace " + join;
        }
    }

    /** {@code setns(2)} into the namespace at {@code path} (a {@link Namespaces} flag as {@code type}). */
    record JoinNamespace(Path path, int type) implements SetupOp {
        public JoinNamespace {
            Objects.requireNonNull(path, "path");
        }

        @Override
        public String describe() {
            return "join namespace " + path;
        }
    }

    /** Remember the start fifo (a host path, reachable now, not after pivot_root) for {@link AwaitStart}. */
    record OpenStartFifo(Path fifo) implements SetupOp {
        @Override
        public String describe() {
            return "open " + fifo;
        }
    }

    /**
     * Report that the container is created, stop reporting, and block until {@code strata oci start}
     * opens the start fifo for reading (runc's create/start split). Later failures go to stderr only.
     */
    record AwaitStart() implements SetupOp {
        @Override
        public String describe() {
            return "wait for start";
        }
    }

    /** Connect to the unix socket that wants the terminal, while its host path is reachable. */
    record ConnectConsole(Path consoleSocket) implements SetupOp {
        @Override
        public String describe() {
            return "connect to console socket " + consoleSocket;
        }
    }

    /**
     * Make a pseudo-terminal from {@code ptmx} (relative: inside the root; the container's devpts
     * instance), send its master over the {@link ConnectConsole} socket (SCM_RIGHTS) and make its slave
     * the controlling terminal and standard descriptors.
     */
    record Terminal(Path ptmx) implements SetupOp {
        @Override
        public String describe() {
            return "make a terminal from " + ptmx;
        }
    }

    /** {@code setrlimit(2)}; {@code soft} and {@code hard} are unsigned (-1: unlimited). */
    record ResourceLimit(int resource, long soft, long hard) implements SetupOp {
        @Override
        public String describe() {
            return "set resource limit " + resource;
        }
    }

    /**
     * Become {@code uid}/{@code gid} with the supplementary {@code groups} (capabilities are kept for a
     * following {@link SetCapabilities}); {@code umask} is set unless negative.
     */
    record SetUser(long uid, long gid, int umask, List<Long> groups) implements SetupOp {
        public SetUser {
            groups = List.copyOf(groups);
        }

        @Override
        public String describe() {
            return "become user " + uid + ":" + gid;
        }
    }

    /** Set each capability set to exactly the numbers given (OCI's process.capabilities). */
    record SetCapabilities(List<Integer> bounding, List<Integer> effective, List<Integer> permitted,
                           List<Integer> inheritable, List<Integer> ambient) implements SetupOp {
        public SetCapabilities {
            bounding = List.copyOf(bounding);
            effective = List.copyOf(effective);
            permitted = List.copyOf(permitted);
            inheritable = List.copyOf(inheritable);
            ambient = List.copyOf(ambient);
        }

        @Override
        public String describe() {
            return "set capabilities";
        }
    }

    /** Hide an absolute path (after pivot_root): /dev/null over a file, an empty read-only tmpfs over a directory; absent is fine. */
    record MaskPath(Path path) implements SetupOp {
        @Override
        public String describe() {
            return "mask " + path;
        }
    }

    /** Write {@code text} to an existing file (a sysctl under /proc/sys, /proc/self/oom_score_adj). */
    record WriteFile(Path path, String text) implements SetupOp {
        @Override
        public String describe() {
            return "write " + path;
        }
    }

    /**
     * {@link Mount}, but where the kernel refuses it with EPERM/EACCES, a recursive bind of the host's
     * {@code fallback} (read-only when {@code flags} say so): sysfs in a user namespace that does not own
     * the network namespace.
     */
    record MountOrBind(String source, Path target, String fstype, long flags, String data, Path fallback) implements SetupOp {
        @Override
        public String describe() {
            return "mount " + fstype + " on " + target;
        }
    }

    /**
     * Give the command the caller's descriptors 3..3+count-1 (passed to the helper as 6.. with its argument
     * {@code count}); the helper's own channels move out of their way.
     */
    record PreserveFds(int count) implements SetupOp {
        @Override
        public String describe() {
            return "pass " + count + " descriptors";
        }
    }
}
