package runtime.core.launch;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import runtime.api.fs.FilesystemDriver;
import runtime.api.fs.MountRequest;
import runtime.api.net.NetworkAttachment;
import runtime.api.plan.MountFlags;
import runtime.api.plan.Namespaces;
import runtime.api.plan.SetupOp;

/**
 * Turns a container description into the ordered setup plan the helper executes.
 */
public final class ContainerPlans {
    /**
     * Receive the host's mount events but send none back: the container's mounts stay private, while
     * a disk mounted on the host under /home later still shows up inside.
     */
    public static final SetupOp PRIVATE_PROPAGATION =
            new SetupOp.Mount(null, Path.of("/"), null, MountFlags.MS_REC | MountFlags.MS_SLAVE, null);

    /** What plash maps from the host into every container: its view of processes, devices and homes. */
    public static final List<String> SHARED_HOST_PATHS =
            List.of("/proc", "/sys", "/dev", "/home", "/root", "/tmp", "/run/user", "/etc/resolv.conf", "/etc/hosts");

    private ContainerPlans() {}

    /**
     * Enter the namespaces in {@code flags} for a container on {@code network}: inside a new user
     * namespace when rootless, or inside the network holder's when the network says so.
     */
    static List<SetupOp> namespaces(IdMaps ids, int flags, NetworkAttachment network) {
        java.util.OptionalLong holder = network.userNamespaceOf();
        if (ids.rootless() && holder.isPresent()) {
            return List.of(new SetupOp.JoinUserNamespace(holder.getAsLong()), new SetupOp.Unshare(flags));
        }
        return List.of(namespaces(ids, flags));
    }

    /** Enter the namespaces in {@code flags}: inside a new user namespace when rootless. */
    public static SetupOp namespaces(IdMaps ids, int flags) {
        if (ids.rootless()) {
            return new SetupOp.EnterUserNamespace(flags, ids.uids(), ids.gids(), ids.newuidmap(), ids.newgidmap());
        }
        return new SetupOp.Unshare(flags);
    }

    /**
     * A plash-style container: the image's files (layers under a scratch upper directory that vanishes
     * with the container) plus the host's /proc, /sys, /dev, homes, /tmp and resolver configuration;
     * the host's network unless the network attachment says otherwise; the caller's working directory.
     *
     * @param scratch an empty host directory; a tmpfs is mounted on it inside the container's mount
     *                namespace only, holding the mount point and (unless {@code keep} names others) the
     *                upper and work directories, which then vanish with the container
     * @param keep    upper and work directories on disk that keep the container's changes
     */
    public static Plan sharedHost(List<Path> layers, FilesystemDriver fs, NetworkAttachment network,
                                  IdMaps ids, Path scratch, Optional<Upper> keep, boolean dieWithParent,
                                  List<SetupOp.Bind> extraBinds, Path workdir, List<String> argv, List<String> env) {
        List<SetupOp> plan = new ArrayList<>();
        if (dieWithParent) plan.add(new SetupOp.DieWithParent());
        plan.addAll(namespaces(ids, Namespaces.MOUNT | network.namespaces(), network));
        plan.add(PRIVATE_PROPAGATION);
        Path root = scratch.resolve("root");
        int[] fsRange = mountImage(plan, layers, fs, ids, scratch, keep);
        plan.add(new SetupOp.UseRoot(root));
        for (String hostPath : SHARED_HOST_PATHS) {
            plan.add(new SetupOp.Bind(Path.of(hostPath), Path.of(hostPath.substring(1)), false, true));
        }
        plan.addAll(extraBinds);
        plan.addAll(network.setupOps());
        if (network.wantsStartedCallback()) plan.add(new SetupOp.SyncWithParent());
        plan.add(new SetupOp.PivotRoot(root));
        plan.add(new SetupOp.ChangeDirectory(workdir, Path.of("/")));
        plan.add(new SetupOp.Exec(argv, env));
        return new Plan(plan, fsRange[0], fsRange[1]);
    }

    /**
     * A tmpfs on {@code scratch} with the mount point (and, unless {@code keep} names others, the upper
     * and work directories), then the driver's mount of the image at scratch/root. Returns the range of
     * the driver's steps in {@code plan}.
     */
    private static int[] mountImage(List<SetupOp> plan, List<Path> layers, FilesystemDriver fs, IdMaps ids, Path scratch,
                                    Optional<Upper> keep) {
        return mountImage(plan, layers, fs, ids, scratch, keep, List.of());
    }

    /**
     * ... and each of {@code images} at scratch/image-N/root by the same driver (its upper and work beside
     * it on the tmpfs), for {@link #bindImages} to bind: all the driver's steps in one range, so a driver
     * that cannot mount them is tried no further, as for the image itself.
     */
    private static int[] mountImage(List<SetupOp> plan, List<Path> layers, FilesystemDriver fs, IdMaps ids, Path scratch,
                                    Optional<Upper> keep, List<ImageBind> images) {
        Path root = scratch.resolve("root");
        plan.add(new SetupOp.Mount("tmpfs", scratch, "tmpfs", MountFlags.MS_NOSUID | MountFlags.MS_NODEV, "mode=0755"));
        plan.add(new SetupOp.MakeDirectories(root, 0755));
        Path upper = keep.map(Upper::upper).orElse(scratch.resolve("upper"));
        Path work = keep.map(Upper::work).orElse(scratch.resolve("work"));
        if (keep.isEmpty()) {
            plan.add(new SetupOp.MakeDirectories(upper, 0755));
            plan.add(new SetupOp.MakeDirectories(work, 0755));
        }
        for (int i = 0; i < images.size(); i++) {
            for (String d : List.of("root", "upper", "work")) plan.add(new SetupOp.MakeDirectories(imageScratch(scratch, i).resolve(d), 0755));
        }
        int from = plan.size();
        plan.addAll(fs.mount(new MountRequest(layers, upper, work, root, ids.rootless())));
        for (int i = 0; i < images.size(); i++) {
            Path at = imageScratch(scratch, i);
            plan.addAll(fs.mount(new MountRequest(images.get(i).layers(), at.resolve("upper"), at.resolve("work"), at.resolve("root"),
                    ids.rootless())));
        }
        return new int[] {from, plan.size()};
    }

    private static Path imageScratch(Path scratch, int i) {
        return scratch.resolve("image-" + i);
    }

    /** Binds the images {@link #mountImage} mounted, read-only, at their targets (relative to the root in use). */
    private static void bindImages(List<SetupOp> plan, Path scratch, List<ImageBind> images) {
        for (int i = 0; i < images.size(); i++) {
            Path target = images.get(i).target();
            plan.add(new SetupOp.Bind(imageScratch(scratch, i).resolve("root"), target.getRoot().relativize(target), true, false));
        }
    }

    /**
     * What an isolated container looks like beyond its image.
     *
     * @param hostname its hostname; empty: its name, else its id (given when it is registered), so no two
     *                 containers share a default hostname (podman's default is the container's id)
     * @param name     a name for `strata ps`, `port`, `stop` (else the generated id)
     * @param ports    port forwards for the network driver
     * @param images   store images bound read-only into it (a manifest's SDK layers)
     */
    public record Isolation(Optional<String> hostname, boolean readOnly, Optional<String> name, List<String> ports,
                            Security security, runtime.core.cgroups.Limits limits, boolean userNamespaceAsRoot,
                            List<ImageBind> images) {
        public Isolation {
            ports = List.copyOf(ports);
            images = List.copyOf(images);
        }

        public Isolation(Optional<String> hostname, boolean readOnly, Optional<String> name, List<String> ports, Security security,
                         runtime.core.cgroups.Limits limits) {
            this(hostname, readOnly, name, ports, security, limits, false, List.of());
        }

        public Isolation(String hostname, boolean readOnly, Optional<String> name, List<String> ports, Security security,
                         runtime.core.cgroups.Limits limits) {
            this(Optional.of(hostname), readOnly, name, ports, security, limits);
        }

        public Isolation(String hostname, boolean readOnly) {
            this(hostname, readOnly, Optional.empty(), List.of(), Security.NONE, runtime.core.cgroups.Limits.NONE);
        }

        /**
         * Run as root, the container still gets its own user namespace (root maps to root, but holds its
         * capabilities only there): for code strata runs on the user's behalf without trusting it, such
         * as packages' maintainer scripts. The host side writes the id maps at the plan's sync step.
         */
        public Isolation withUserNamespaceAsRoot() {
            return new Isolation(hostname, readOnly, name, ports, security, limits, true, images);
        }

        /** This container with {@code hostname} (Engine: its name or id, once it is registered, when none was given). */
        public Isolation withHostname(String hostname) {
            return new Isolation(Optional.of(hostname), readOnly, name, ports, security, limits, userNamespaceAsRoot, images);
        }

        /** This container with {@code images} bound into it too. */
        public Isolation withImages(List<ImageBind> images) {
            return new Isolation(hostname, readOnly, name, ports, security, limits, userNamespaceAsRoot, images);
        }
    }

    /**
     * A store image's files bound read-only at {@code target} (absolute, in the container): its layers
     * (top-most first) are mounted by the container's filesystem driver beside the image itself, with a
     * throwaway upper directory on the container's scratch tmpfs, then bound read-only, so an SDK image
     * of several layers needs no flattening and shares the store's files.
     */
    public record ImageBind(String image, List<Path> layers, Path target) {
        public ImageBind {
            layers = List.copyOf(layers);
            if (!target.isAbsolute()) throw new IllegalArgumentException("an image's target must be absolute: " + target);
        }
    }

    /** The id maps of {@link Isolation#userNamespaceAsRoot}: every id maps to itself, root included. */
    public static final String IDENTITY_MAP = "0 0 4294967295\n";

    /**
     * Privilege limits applied last, just before exec.
     *
     * @param seccomp      a compiled BPF filter, or empty for unconfined
     * @param capabilities the capability numbers to keep, or empty to keep all
     */
    public record Security(boolean noNewPrivileges, Optional<byte[]> seccomp, Optional<List<Integer>> capabilities) {
        public static final Security NONE = new Security(false, Optional.empty(), Optional.empty());
    }

    /**
     * Kernel interfaces under /proc and /sys an isolated container must not change: writing
     * /proc/sys/kernel/core_pattern or /proc/sysrq-trigger acts on the host (a crash would run the
     * container's program as host root). The union of runc's and podman's defaults; bound read-only on
     * themselves after pivot_root.
     */
    public static final List<String> READ_ONLY_KERNEL_PATHS =
            List.of("/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger");

    /**
     * ... and interfaces it must not read: kernel memory, other users' keys, timers and scheduler state of
     * the host, firmware and power controls (/dev/null over a file, an empty read-only tmpfs over a
     * directory). The union of runc's and podman's defaults.
     */
    public static final List<String> MASKED_KERNEL_PATHS = List.of("/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys",
            "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi", "/sys/firmware",
            "/sys/fs/selinux", "/sys/dev/block", "/sys/devices/virtual/powercap");

    /** Writable tmpfs directories of a read-only root besides /tmp and /dev/shm (podman's --read-only-tmpfs). */
    static final List<String> READ_ONLY_ROOT_TMPFS = List.of("run", "var/tmp");

    /** Device nodes an isolated container gets from the host (bind-mounted: rootless cannot mknod them). */
    static final List<String> DEVICES = List.of("null", "zero", "full", "random", "urandom", "tty");

    /**
     * A squish-style isolated container: new pid, uts, ipc and cgroup namespaces (network per the
     * attachment), a fresh /proc, a minimal /dev with its own pseudo-terminals, a private /tmp, its own
     * hostname, no host home, optionally a read-only root; pid 1 is the helper as init.
     */
    public static Plan isolated(List<Path> layers, FilesystemDriver fs, NetworkAttachment network, IdMaps ids,
                                Path scratch, Optional<Upper> keep, Isolation isolation, List<SetupOp.Bind> extraBinds,
                                Path workdir, List<String> argv, List<String> env) {
        List<SetupOp> plan = new ArrayList<>();
        int nets = network.namespaces();
        int flags = Namespaces.MOUNT | Namespaces.UTS | Namespaces.IPC | Namespaces.CGROUP | nets;
        Path root = scratch.resolve("root");
        int[] fsRange;
        boolean ownUserNamespace = isolation.userNamespaceAsRoot() && !ids.rootless();
        if (ownUserNamespace) {
            // The image is mounted by real root first (a root store's overlay needs its trusted.* xattrs);
            // everything after happens in a new user namespace, whose id maps the host writes at the sync.
            plan.add(new SetupOp.Unshare(Namespaces.MOUNT));
            plan.add(PRIVATE_PROPAGATION);
            fsRange = mountImage(plan, layers, fs, ids, scratch, keep, isolation.images());
            plan.add(new SetupOp.Unshare(Namespaces.USER | flags));
            plan.add(new SetupOp.SyncWithParent());
            plan.add(new SetupOp.EnterPidNamespace());
            // Mounts inherited from a more privileged namespace are locked, and pivot_root refuses a locked
            // new root: bind the image on itself from inside.
            plan.add(new SetupOp.Bind(root, root, false, false));
        } else {
            plan.addAll(namespaces(ids, flags, network));
            plan.add(PRIVATE_PROPAGATION);
            // The image is mounted before the pid namespace exists, so a FUSE driver's daemon (an exec'd host
            // program, dumpable, holding descriptors of the store's layers) lives outside it: the container's
            // /proc never shows it, whatever capabilities the container is given.
            fsRange = mountImage(plan, layers, fs, ids, scratch, keep, isolation.images());
            plan.add(new SetupOp.EnterPidNamespace());
        }
        plan.add(new SetupOp.UseRoot(root));
        long secure = MountFlags.MS_NOSUID | MountFlags.MS_NODEV | MountFlags.MS_NOEXEC;
        plan.add(new SetupOp.MakeDirectories(Path.of("proc"), 0555));
        plan.add(new SetupOp.Mount("proc", Path.of("proc"), "proc", secure, null));
        plan.add(new SetupOp.MakeDirectories(Path.of("sys"), 0555));
        if ((nets & Namespaces.NET) != 0) {
            plan.add(new SetupOp.Mount("sysfs", Path.of("sys"), "sysfs", secure | MountFlags.MS_RDONLY, null));
        } else {
            // The host's /sys with everything mounted below it (cgroup trees too), all read-only.
            plan.add(new SetupOp.Bind(Path.of("/sys"), Path.of("sys"), true, false));
        }
        // A limited container's /proc shows its limits where lxcfs runs (free, top).
        if (!isolation.limits().isEmpty()) plan.addAll(runtime.core.cgroups.Lxcfs.binds());
        plan.add(new SetupOp.MakeDirectories(Path.of("dev"), 0755));
        plan.add(new SetupOp.Mount("tmpfs", Path.of("dev"), "tmpfs", MountFlags.MS_NOSUID | MountFlags.MS_NOEXEC, "mode=0755"));
        for (String device : DEVICES) {
            plan.add(new SetupOp.Bind(Path.of("/dev", device), Path.of("dev", device), false, true));
        }
        plan.add(new SetupOp.MakeDirectories(Path.of("dev/pts"), 0755));
        plan.add(new SetupOp.Mount("devpts", Path.of("dev/pts"), "devpts", MountFlags.MS_NOSUID | MountFlags.MS_NOEXEC,
                "newinstance,ptmxmode=0666,mode=0620"));
        plan.add(new SetupOp.Symlink("pts/ptmx", Path.of("dev/ptmx")));
        plan.add(new SetupOp.Symlink("/proc/self/fd", Path.of("dev/fd")));
        plan.add(new SetupOp.Symlink("/proc/self/fd/0", Path.of("dev/stdin")));
        plan.add(new SetupOp.Symlink("/proc/self/fd/1", Path.of("dev/stdout")));
        plan.add(new SetupOp.Symlink("/proc/self/fd/2", Path.of("dev/stderr")));
        plan.add(new SetupOp.MakeDirectories(Path.of("dev/shm"), 01777));
        plan.add(new SetupOp.Mount("tmpfs", Path.of("dev/shm"), "tmpfs", secure, "mode=1777"));
        plan.add(new SetupOp.MakeDirectories(Path.of("tmp"), 01777));
        plan.add(new SetupOp.Mount("tmpfs", Path.of("tmp"), "tmpfs", MountFlags.MS_NOSUID | MountFlags.MS_NODEV, "mode=1777"));
        plan.add(new SetupOp.Bind(Path.of("/etc/resolv.conf"), Path.of("etc/resolv.conf"), true, true));
        plan.addAll(extraBinds);
        bindImages(plan, scratch, isolation.images());
        if (isolation.readOnly()) {
            // What a read-only root leaves writable, as podman's --read-only (read-only-tmpfs) does: /tmp and
            // /dev/shm above, /run and /var/tmp here, each a tmpfs that vanishes with the container.
            for (String dir : READ_ONLY_ROOT_TMPFS) {
                plan.add(new SetupOp.MakeDirectories(Path.of(dir), dir.equals("run") ? 0755 : 01777));
                plan.add(new SetupOp.Mount("tmpfs", Path.of(dir), "tmpfs", MountFlags.MS_NOSUID | MountFlags.MS_NODEV,
                        dir.equals("run") ? "mode=0755" : "mode=1777"));
            }
        }
        // A working directory the image lacks is made, as runc and crun do (podman's WORKDIR need not exist).
        if (workdir.isAbsolute() && workdir.getNameCount() > 0) plan.add(new SetupOp.MakeDirectories(workdir.getRoot().relativize(workdir), 0755));
        plan.add(new SetupOp.SetHostname(isolation.hostname().orElseThrow()));
        plan.addAll(network.setupOps());
        if (network.wantsStartedCallback() && !ownUserNamespace) plan.add(new SetupOp.SyncWithParent());
        if (isolation.readOnly()) {
            plan.add(new SetupOp.Mount(null, Path.of("."), null, MountFlags.MS_REMOUNT | MountFlags.MS_BIND | MountFlags.MS_RDONLY, null));
        }
        plan.add(new SetupOp.PivotRoot(root));
        for (String path : READ_ONLY_KERNEL_PATHS) plan.add(new SetupOp.Bind(Path.of(path), Path.of(path), true, true));
        for (String path : MASKED_KERNEL_PATHS) plan.add(new SetupOp.MaskPath(Path.of(path)));
        plan.add(new SetupOp.ChangeDirectory(workdir, Path.of("/")));
        Security security = isolation.security();
        security.capabilities().ifPresent(caps -> plan.add(new SetupOp.DropCapabilities(caps)));
        if (security.noNewPrivileges()) plan.add(new SetupOp.NoNewPrivileges());
        security.seccomp().ifPresent(program -> plan.add(new SetupOp.Seccomp(program)));
        plan.add(new SetupOp.Exec(argv, env));
        return new Plan(plan, fsRange[0], fsRange[1]);
    }

    /** An overlay upper directory and its work directory, on one filesystem. */
    public record Upper(Path upper, Path work) {
        /** The layout of a {@code --persist DIR}: changes in DIR/data, overlay's work directory DIR/work. */
        public static Upper persistent(Path directory) {
            return new Upper(directory.resolve("data"), directory.resolve("work"));
        }
    }

    /**
     * A host command with the image's merged filesystem mounted at the returned plan's
     * {@link HostPlan#mountPoint()}: private namespaces (a user namespace rootless), no pivot_root, so
     * the command sees the host plus the mount. Changes go to the scratch tmpfs and vanish with it,
     * unless {@code persist} is given. {@code workdir} empty keeps the caller's; present, it may be
     * relative to the mount point.
     */
    public static HostPlan hostWithImage(List<Path> layers, FilesystemDriver fs, IdMaps ids, Path scratch,
                                         Optional<Path> persist, Optional<String> workdir,
                                         java.util.function.Function<Path, List<String>> argv, List<String> env) {
        List<SetupOp> plan = new ArrayList<>();
        plan.add(namespaces(ids, Namespaces.MOUNT));
        plan.add(PRIVATE_PROPAGATION);
        Path root = scratch.resolve("root");
        int[] fsRange = mountImage(plan, layers, fs, ids, scratch, persist.map(Upper::persistent));
        plan.add(withoutSetuidOrDevices(root));
        if (workdir.isPresent()) plan.add(new SetupOp.ChangeDirectory(root.resolve(workdir.get()), root));
        plan.add(new SetupOp.Exec(argv.apply(root), env));
        return new HostPlan(new Plan(plan, fsRange[0], fsRange[1]), root);
    }

    /**
     * Makes the image mounted on {@code target} nosuid,nodev (that mount only, whatever the driver): where a
     * host program (with-mount) or another user (strata mount) reaches an image's files, its setuid files
     * and device nodes, which a container or an image may have put there, must grant nothing.
     */
    static SetupOp withoutSetuidOrDevices(Path target) {
        return new SetupOp.Mount(null, target, null, MountFlags.MS_REMOUNT | MountFlags.MS_BIND | MountFlags.MS_NOSUID | MountFlags.MS_NODEV, null);
    }

    /**
     * Mounts the image on {@code target} in the caller's own mount namespace (no namespace steps: only
     * root can do this), with the writable layer in {@code upper}/{@code work}, then runs /bin/true.
     */
    public static Plan hostMount(List<Path> layers, FilesystemDriver fs, Path upper, Path work, Path target) {
        List<SetupOp> plan = new ArrayList<>();
        plan.add(new SetupOp.MakeDirectories(upper, 0755));
        plan.add(new SetupOp.MakeDirectories(work, 0755));
        int fsFrom = plan.size();
        plan.addAll(fs.mount(new MountRequest(layers, upper, work, target, false)));
        int fsTo = plan.size();
        plan.add(withoutSetuidOrDevices(target));
        plan.add(new SetupOp.Exec(List.of("/bin/true"), List.of()));
        return new Plan(plan, fsFrom, fsTo);
    }

    /** A {@link #hostWithImage} plan and where it mounts the image. */
    public record HostPlan(Plan plan, Path mountPoint) {}

    /**
     * A container's steps; {@code [filesystemFrom, filesystemTo)} are the filesystem driver's, so a
     * failure there can be told from others (and another driver tried).
     */
    public record Plan(List<SetupOp> steps, int filesystemFrom, int filesystemTo) {
        public Plan {
            steps = List.copyOf(steps);
        }

        public boolean isFilesystemStep(int index) {
            return index >= filesystemFrom && index < filesystemTo;
        }

        /**
         * This plan with {@code user} become just before the last privilege limits: after the capability
         * drop (which needs root's capabilities), before no_new_privs, seccomp and exec.
         */
        public Plan asUser(SetupOp.SetUser user) {
            List<SetupOp> result = new ArrayList<>(steps);
            int at = result.size() - 1;
            while (at > 0 && (result.get(at - 1) instanceof SetupOp.NoNewPrivileges || result.get(at - 1) instanceof SetupOp.Seccomp)) at--;
            result.add(at, user);
            return new Plan(result, filesystemFrom, filesystemTo);
        }
    }
}
