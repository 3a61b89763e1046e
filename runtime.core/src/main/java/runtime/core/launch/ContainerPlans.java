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
     *                namespace only, holding the upper, work and root directories
     */
    public static Plan sharedHost(List<Path> layers, FilesystemDriver fs, NetworkAttachment network,
                                           IdMaps ids, Path scratch, List<SetupOp.Bind> extraBinds,
                                           Path workdir, List<String> argv, List<String> env) {
        return sharedHost(layers, fs, network, ids, scratch, Optional.empty(), extraBinds, workdir, argv, env);
    }

    /**
     * {@link #sharedHost} with, when {@code persist} is given, the writable layer in
     * {@code persist/data} (overlay's work directory {@code persist/work}) instead of the scratch
     * tmpfs, so the changes outlive the container. Both directories must exist.
     */
    public static Plan sharedHost(List<Path> layers, FilesystemDriver fs, NetworkAttachment network,
                                  IdMaps ids, Path scratch, Optional<Path> persist, List<SetupOp.Bind> extraBinds,
                                  Path workdir, List<String> argv, List<String> env) {
        List<SetupOp> plan = new ArrayList<>();
        plan.add(namespaces(ids, Namespaces.MOUNT | network.namespaces()));
        plan.add(PRIVATE_PROPAGATION);
        int fsFrom = plan.size() + 4;
        Path root = mergedImage(plan, layers, fs, ids, scratch, persist);
        int fsTo = plan.size();
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
        return new Plan(plan, fsFrom, fsTo);
    }

    /**
     * Adds the steps that mount the image's merged filesystem: a tmpfs on {@code scratch} (visible only
     * in the plan's own mount namespace) holding {@code root}, {@code upper} and {@code work}, then the
     * driver's mount of the layers on {@code root}, with the upper layer in {@code persist/data} when
     * given. The driver's steps are the last ones added. Returns the mount point.
     */
    public static Path mergedImage(List<SetupOp> plan, List<Path> layers, FilesystemDriver fs, IdMaps ids, Path scratch,
                                   Optional<Path> persist) {
        Path root = scratch.resolve("root");
        Path upper = persist.map(p -> p.resolve("data")).orElse(scratch.resolve("upper"));
        Path work = persist.map(p -> p.resolve("work")).orElse(scratch.resolve("work"));
        plan.add(new SetupOp.Mount("tmpfs", scratch, "tmpfs", MountFlags.MS_NOSUID | MountFlags.MS_NODEV, "mode=0755"));
        plan.add(new SetupOp.MakeDirectories(root, 0755));
        plan.add(new SetupOp.MakeDirectories(upper, 0755));
        plan.add(new SetupOp.MakeDirectories(work, 0755));
        plan.addAll(fs.mount(new MountRequest(layers, upper, work, root, ids.rootless())));
        return root;
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
        int fsFrom = plan.size() + 4;
        Path root = mergedImage(plan, layers, fs, ids, scratch, persist);
        int fsTo = plan.size();
        if (workdir.isPresent()) plan.add(new SetupOp.ChangeDirectory(root.resolve(workdir.get()), root));
        plan.add(new SetupOp.Exec(argv.apply(root), env));
        return new HostPlan(new Plan(plan, fsFrom, fsTo), root);
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
    }
}
