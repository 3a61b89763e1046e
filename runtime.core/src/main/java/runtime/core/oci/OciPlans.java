package runtime.core.oci;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import runtime.api.plan.IdMapping;
import runtime.api.plan.MountFlags;
import runtime.api.plan.Namespaces;
import runtime.api.plan.SetupOp;
import runtime.core.launch.ContainerPlans;
import runtime.core.security.Capabilities;
import runtime.core.security.SeccompCompiler;
import runtime.core.security.SeccompProfile;
import runtime.core.security.SyscallTable;

/**
 * Turns an OCI bundle's configuration into the helper's setup plan: {@link #create} for a container's
 * first process (stopped before exec until {@code start}), {@link #exec} for one more process in the
 * namespaces of a running container. The order follows the runtime spec's lifecycle: namespaces, root
 * filesystem and mounts in the listed order, devices, pivot_root, sysctls, masked and read-only paths, then the
 * process's limits, user, capabilities, no_new_privs and seccomp filter last before exec.
 */
public final class OciPlans {
    /** The namespaces the helper can create or join, by their OCI names. */
    static final Map<String, Integer> NAMESPACES = Map.of("mount", Namespaces.MOUNT, "network", Namespaces.NET,
            "uts", Namespaces.UTS, "ipc", Namespaces.IPC, "cgroup", Namespaces.CGROUP, "user", Namespaces.USER,
            "pid", Namespaces.PID);

    /** Names of namespaces as /proc/PID/ns/ has them. */
    static final Map<String, String> PROC_NAMES = Map.of("mount", "mnt", "network", "net", "uts", "uts", "ipc", "ipc",
            "cgroup", "cgroup", "user", "user", "pid", "pid");

    /** Device nodes every container gets (runtime spec, "Default Devices"), bound from the host. */
    static final List<String> DEFAULT_DEVICES = List.of("/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom", "/dev/tty");

    private OciPlans() {}

    /** Where a created container waits and what it was given on the command line. */
    /** @param cgroupsPath the container's own group, made in every hierarchy, if it has one */
    public record CreateRequest(Path startFifo, Optional<Path> consoleSocket, int preservedFds, boolean detach,
                                Optional<String> cgroupsPath) {}

    public static List<SetupOp> create(OciSpec spec, CreateRequest request) {
        OciSpec.Linux linux = spec.linux();
        ConfigChecks.check(spec);
        if (spec.process().terminal() && request.consoleSocket().isEmpty()) {
            throw new IllegalArgumentException("process.terminal is set: --console-socket is required");
        }
        List<SetupOp> plan = new ArrayList<>();
        // First, as the caller: after a user namespace with other maps, the container's root could not
        // reach the private state directory (runc passes its fifo in for the same reason).
        plan.add(new SetupOp.OpenStartFifo(request.startFifo()));
        enterNamespaces(plan, linux, request.detach());
        plan.add(ContainerPlans.PRIVATE_PROPAGATION);
        Path root = spec.rootPath();
        if (!Files.isDirectory(root)) throw new IllegalArgumentException("root.path " + root + " is not a directory");
        // pivot_root needs the new root to be a mount point.
        plan.add(new SetupOp.Bind(root, root, false, false));
        plan.add(new SetupOp.UseRoot(root));
        for (OciSpec.Mount m : spec.mounts()) mount(plan, m, request.cgroupsPath());
        devices(plan, linux);
        if (linux.namespace("uts").isPresent() && !spec.hostname().isEmpty()) plan.add(new SetupOp.SetHostname(spec.hostname()));
        request.consoleSocket().filter(s -> spec.process().terminal()).ifPresent(socket -> {
            plan.add(new SetupOp.ConnectConsole(socket.toAbsolutePath()));
            plan.add(new SetupOp.Terminal(Path.of("dev/pts/ptmx")));
        });
        spec.process().oomScoreAdj().ifPresent(adj -> plan.add(new SetupOp.WriteFile(Path.of("/proc/self/oom_score_adj"), Integer.toString(adj))));
        plan.add(new SetupOp.MakeDirectories(Path.of(relative(spec.process().cwd())), 0755));
        if (spec.rootReadonly()) {
            plan.add(new SetupOp.Mount(null, Path.of("."), null, MountFlags.MS_REMOUNT | MountFlags.MS_BIND | MountFlags.MS_RDONLY, null));
        }
        // The runtime's prestart and createRuntime hooks come first: the host runs them while this waits.
        if (hasHooks(spec, "prestart") || hasHooks(spec, "createRuntime")) plan.add(new SetupOp.SyncWithParent());
        // createContainer hooks: in the container's namespaces, paths still the runtime's (before pivot_root, as runc).
        containerHooks(plan, spec, "createContainer");
        plan.add(new SetupOp.PivotRoot(root));
        // Sysctls before the read-only paths, as runc: podman's net.ipv4.ping_group_range is under /proc/sys.
        linux.sysctl().forEach((key, value) ->
                plan.add(new SetupOp.WriteFile(Path.of("/proc/sys", key.replace('.', '/')), value)));
        for (String path : linux.maskedPaths()) plan.add(new SetupOp.MaskPath(Path.of(path)));
        for (String path : linux.readonlyPaths()) plan.add(new SetupOp.Bind(Path.of(path), Path.of(path), true, true));
        plan.add(new SetupOp.ChangeDirectory(Path.of(spec.process().cwd()), Path.of(spec.process().cwd())));
        // startContainer hooks run in the container, resolved in its root (their stdin is /dev/null here,
        // not the state JSON: the helper has no Java to write it).
        plan.add(new SetupOp.AwaitStart());
        containerHooks(plan, spec, "startContainer");
        process(plan, spec.process(), linux, request.preservedFds());
        return plan;
    }

    /**
     * One more process in the container whose first process is {@code pid}: join its namespaces (the
     * user namespace first, so the others are joined with its privileges), fork into its pid namespace,
     * then the same process steps as {@link #create}.
     */
    public static List<SetupOp> exec(OciSpec spec, OciSpec.Process process, long pid, Optional<Path> consoleSocket, boolean detach,
                                     int preservedFds) {
        if (process.terminal() && consoleSocket.isEmpty()) throw new IllegalArgumentException("--tty needs --console-socket");
        List<SetupOp> plan = new ArrayList<>();
        OciSpec.Linux linux = spec.linux();
        Path proc = Path.of("/proc", Long.toString(pid), "ns");
        consoleSocket.filter(s -> process.terminal()).ifPresent(socket -> plan.add(new SetupOp.ConnectConsole(socket.toAbsolutePath())));
        if (linux.namespace("user").isPresent()) plan.add(new SetupOp.JoinNamespace(proc.resolve("user"), Namespaces.USER));
        for (String type : List.of("ipc", "uts", "network", "cgroup")) {
            if (linux.namespace(type).isPresent()) {
                plan.add(new SetupOp.JoinNamespace(proc.resolve(PROC_NAMES.get(type)), NAMESPACES.get(type)));
            }
        }
        // Without a pid namespace of its own, the helper itself becomes the process (nothing to fork into).
        if (linux.namespace("pid").isPresent()) plan.add(new SetupOp.OciPidNamespace(proc.resolve("pid"), detach));
        // Last: after it, /proc is the container's, where the host pid in these paths means nothing.
        if (linux.namespace("mount").isPresent()) plan.add(new SetupOp.JoinNamespace(proc.resolve("mnt"), Namespaces.MOUNT));
        if (process.terminal()) plan.add(new SetupOp.Terminal(Path.of("/dev/pts/ptmx")));
        plan.add(new SetupOp.ChangeDirectory(Path.of(process.cwd()), Path.of("/")));
        process(plan, process, linux, preservedFds);
        return plan;
    }

    private static boolean hasHooks(OciSpec spec, String kind) {
        return !spec.hooks().getOrDefault(kind, List.of()).isEmpty();
    }

    private static void containerHooks(List<SetupOp> plan, OciSpec spec, String kind) {
        for (OciSpec.Hook hook : spec.hooks().getOrDefault(kind, List.of())) {
            List<String> argv = new ArrayList<>();
            argv.add(hook.path());
            if (hook.args().size() > 1) argv.addAll(hook.args().subList(1, hook.args().size()));
            plan.add(new SetupOp.RunProgram(argv));
        }
    }

    private static void enterNamespaces(List<SetupOp> plan, OciSpec.Linux linux, boolean detach) {
        Optional<OciSpec.Namespace> user = linux.namespace("user");
        user.flatMap(OciSpec.Namespace::path).ifPresent(path -> plan.add(new SetupOp.JoinNamespace(Path.of(path), Namespaces.USER)));
        int create = 0;
        for (OciSpec.Namespace ns : linux.namespaces()) {
            if (ns.type().equals("user") || ns.type().equals("pid")) continue;
            if (ns.path().isPresent()) {
                plan.add(new SetupOp.JoinNamespace(Path.of(ns.path().get()), NAMESPACES.get(ns.type())));
            } else {
                create |= NAMESPACES.get(ns.type());
            }
        }
        if (user.isPresent() && user.get().path().isEmpty()) {
            plan.add(userNamespace(linux, create));
        } else if (create != 0) {
            plan.add(new SetupOp.Unshare(create));
        }
        Optional<OciSpec.Namespace> pid = linux.namespace("pid");
        if (pid.isPresent()) plan.add(new SetupOp.OciPidNamespace(pid.get().path().map(Path::of).orElse(null), detach));
    }

    /**
     * A new user namespace with the configured maps: as root the helper writes them itself, from outside
     * the namespace, as runc does; otherwise a map of more than the caller's own id goes through the
     * setuid newuidmap/newgidmap (they check /etc/subuid), and one line is written by the helper itself.
     */
    private static SetupOp userNamespace(OciSpec.Linux linux, int otherNamespaces) {
        List<IdMapping> uids = linux.uidMappings().stream().map(m -> new IdMapping(m.containerId(), m.hostId(), m.size())).toList();
        List<IdMapping> gids = linux.gidMappings().stream().map(m -> new IdMapping(m.containerId(), m.hostId(), m.size())).toList();
        if (uids.isEmpty() || gids.isEmpty()) throw new IllegalArgumentException("config.json: a user namespace needs uidMappings and gidMappings");
        boolean single = uids.size() == 1 && gids.size() == 1 && uids.getFirst().count() == 1 && gids.getFirst().count() == 1;
        if (single || runtime.api.sys.Posix.geteuid() == 0) return new SetupOp.EnterUserNamespace(otherNamespaces, uids, gids, null, null);
        return new SetupOp.EnterUserNamespace(otherNamespaces, uids, gids, Path.of("/usr/bin/newuidmap"), Path.of("/usr/bin/newgidmap"));
    }

    private static void mount(List<SetupOp> plan, OciSpec.Mount m, Optional<String> cgroupsPath) {
        Path target = Path.of(relative(m.destination()));
        MountOptions o = MountOptions.parse(m.type(), m.options());
        if (o.bind()) {
            plan.add(new SetupOp.Bind(Path.of(m.source()), target, false, false));
            if (o.flags() != 0) {
                plan.add(new SetupOp.Mount(null, target, null, MountFlags.MS_REMOUNT | MountFlags.MS_BIND | o.flags(), null));
            }
        } else if (m.type().equals("cgroup")) {
            cgroupMount(plan, target, o, cgroupsPath);
        } else {
            plan.add(new SetupOp.MakeDirectories(target, 0755));
            switch (m.type()) {
                // Refused in a user namespace that does not own the network (or ipc) namespace: the host's then.
                case "sysfs" -> plan.add(new SetupOp.MountOrBind(m.source(), target, "sysfs", o.flags(), o.data(), Path.of("/sys")));
                case "mqueue" -> plan.add(new SetupOp.MountOrBind(m.source(), target, "mqueue", o.flags(), o.data(), Path.of("/dev/mqueue")));
                default -> plan.add(new SetupOp.Mount(m.source().isEmpty() ? m.type() : m.source(), target, m.type(), o.flags(), o.data()));
            }
        }
        if (o.propagation() != 0) plan.add(new SetupOp.Mount(null, target, null, o.propagation(), null));
    }

    /**
     * The host's cgroup hierarchies, each bound on its own so read-only holds for every one (a recursive
     * bind is read-only at its top mount only): on cgroup v2 the one tree, on v1 a tmpfs (writable, as
     * runc leaves it: it is the container's own) with a bind per hierarchy and the host's symlinks
     * (cpu -> cpu,cpuacct).
     */
    private static void cgroupMount(List<SetupOp> plan, Path target, MountOptions o, Optional<String> cgroupsPath) {
        Path host = Path.of("/sys/fs/cgroup");
        long secure = MountFlags.MS_NOSUID | MountFlags.MS_NODEV | MountFlags.MS_NOEXEC | (o.flags() & MountFlags.MS_RDONLY);
        if (Files.exists(host.resolve("cgroup.controllers"))) {
            bindHierarchy(plan, own(host, cgroupsPath), target, secure);
            return;
        }
        plan.add(new SetupOp.MakeDirectories(target, 0755));
        plan.add(new SetupOp.Mount("tmpfs", target, "tmpfs", MountFlags.MS_NOSUID | MountFlags.MS_NODEV | MountFlags.MS_NOEXEC, "mode=755"));
        try (var entries = Files.list(host)) {
            for (Path entry : entries.sorted().toList()) {
                Path inside = target.resolve(entry.getFileName().toString());
                // runc leaves hybrid hosts' cgroup2 tree out too: the container's limits are in the v1 ones.
                if (entry.getFileName().toString().equals("unified")) continue;
                if (Files.isSymbolicLink(entry)) {
                    plan.add(new SetupOp.Symlink(Files.readSymbolicLink(entry).toString(), inside));
                } else if (Files.isDirectory(entry)) {
                    bindHierarchy(plan, own(entry, cgroupsPath), inside, secure);
                }
            }
        } catch (java.io.IOException e) {
            throw new IllegalArgumentException("cannot list " + host + ": " + e.getMessage());
        }
    }

    /** The container's own group in a hierarchy when it has one there (the host's whole tree otherwise, as rootless). */
    private static Path own(Path hierarchy, Optional<String> cgroupsPath) {
        if (cgroupsPath.isEmpty()) return hierarchy;
        Path group = hierarchy.resolve(relative(cgroupsPath.get()));
        return Files.isDirectory(group) ? group : hierarchy;
    }

    private static void bindHierarchy(List<SetupOp> plan, Path source, Path target, long flags) {
        plan.add(new SetupOp.Bind(source, target, false, false));
        plan.add(new SetupOp.Mount(null, target, null, MountFlags.MS_REMOUNT | MountFlags.MS_BIND | flags, null));
    }

    private static void devices(List<SetupOp> plan, OciSpec.Linux linux) {
        List<String> paths = new ArrayList<>(DEFAULT_DEVICES);
        for (OciSpec.Device d : linux.devices()) if (!paths.contains(d.path())) paths.add(d.path());
        for (String device : paths) {
            // Bound, not made: mknod needs real root, and a bind keeps the host's node and its permissions.
            plan.add(new SetupOp.Bind(Path.of(device), Path.of(relative(device)), false, true));
        }
        plan.add(new SetupOp.Symlink("pts/ptmx", Path.of("dev/ptmx")));
        plan.add(new SetupOp.Symlink("/proc/self/fd", Path.of("dev/fd")));
        plan.add(new SetupOp.Symlink("/proc/self/fd/0", Path.of("dev/stdin")));
        plan.add(new SetupOp.Symlink("/proc/self/fd/1", Path.of("dev/stdout")));
        plan.add(new SetupOp.Symlink("/proc/self/fd/2", Path.of("dev/stderr")));
        plan.add(new SetupOp.Symlink("/proc/kcore", Path.of("dev/core")));
    }

    /** Limits, user, capabilities, no_new_privs, seccomp, inherited descriptors, exec: the end of both plans. */
    private static void process(List<SetupOp> plan, OciSpec.Process process, OciSpec.Linux linux, int preservedFds) {
        for (OciSpec.Rlimit r : process.rlimits()) plan.add(new SetupOp.ResourceLimit(Rlimits.number(r.type()), r.soft(), r.hard()));
        Optional<SetupOp> seccomp = linux.seccomp().map(profile -> {
            SyscallTable table = SyscallTable.host();
            return new SetupOp.Seccomp(SeccompCompiler.compile(SeccompProfile.parse(profile, "linux.seccomp", table.arch()), table));
        });
        // Without no_new_privs, loading a filter takes CAP_SYS_ADMIN: before the capabilities go (as runc
        // does; the profile must then allow the set*id and capset calls that follow).
        if (!process.noNewPrivileges()) seccomp.ifPresent(plan::add);
        OciSpec.User user = process.user();
        plan.add(new SetupOp.SetUser(user.uid(), user.gid(), user.umask(), user.additionalGids()));
        process.capabilities().ifPresent(c -> plan.add(new SetupOp.SetCapabilities(numbers(c.bounding()), numbers(c.effective()),
                numbers(c.permitted()), numbers(c.inheritable()), numbers(c.ambient()))));
        if (process.noNewPrivileges()) {
            plan.add(new SetupOp.NoNewPrivileges());
            seccomp.ifPresent(plan::add);
        }
        if (preservedFds > 0) plan.add(new SetupOp.PreserveFds(preservedFds));
        plan.add(new SetupOp.Exec(process.args(), process.env()));
    }

    private static List<Integer> numbers(List<String> capabilities) {
        List<Integer> out = new ArrayList<>();
        for (String c : capabilities) {
            try {
                out.add(Capabilities.number(c));
            } catch (IllegalArgumentException e) {
                // A capability newer than our table: the kernel here would not know it either (runc warns and skips too).
            }
        }
        return out;
    }

    /** An absolute container path as a path relative to the root (the helper resolves it inside the root). */
    static String relative(String absolute) {
        String p = absolute;
        while (p.startsWith("/")) p = p.substring(1);
        return p.isEmpty() ? "." : p;
    }
}
