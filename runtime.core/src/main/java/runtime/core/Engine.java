package runtime.core;

import java.io.IOException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

import runtime.api.fs.FilesystemDriver;
import runtime.api.net.NetworkAttachment;
import runtime.api.net.NetworkRequest;
import runtime.api.plan.Namespaces;
import runtime.api.plan.SetupOp;
import runtime.api.sys.ErrnoException;
import runtime.api.sys.Posix;
import runtime.api.sys.WaitStatus;
import runtime.core.drivers.Drivers;
import runtime.core.launch.Container;
import runtime.core.launch.ContainerPlans;
import runtime.core.launch.IdMaps;
import runtime.core.launch.LaunchException;
import runtime.core.launch.Launcher;
import runtime.core.launch.Timings;
import runtime.core.launch.TrialProbeContext;
import runtime.core.store.ImageStore;
import runtime.core.store.Layer;
import runtime.core.store.MountTable;
import runtime.core.store.TmpDirectories;
import runtime.core.store.Trees;

/**
 * strata for one caller: its store, id maps, drivers and launcher, created on first use so that
 * commands that need none of them start fast.
 */
public final class Engine implements AutoCloseable {
    private final Map<String, String> env;
    private final int uid = Posix.getuid();
    private final ImageStore store;
    private IdMaps ids;
    private Drivers drivers;
    private Launcher launcher;
    private TrialProbeContext probeContext;

    public Engine(Map<String, String> env) {
        this.env = env;
        this.store = new ImageStore(ImageStore.defaultLocation(env, uid == 0), uid == 0);
    }

    public ImageStore store() {
        return store;
    }

    public Map<String, String> environment() {
        return env;
    }

    public synchronized IdMaps ids() {
        if (ids == null) {
            ids = IdMaps.forCaller(uid, Posix.getgid(), System.getProperty("user.name"), env);
        }
        return ids;
    }

    public synchronized Drivers drivers() {
        if (drivers == null) drivers = Drivers.boot();
        return drivers;
    }

    public synchronized Launcher launcher() throws LaunchException {
        if (launcher == null) launcher = Launcher.locate();
        return launcher;
    }

    public synchronized TrialProbeContext probeContext() throws LaunchException {
        if (probeContext == null) {
            probeContext = new TrialProbeContext(launcher(), ids(), store.data().resolve("tmp"));
        }
        return probeContext;
    }

    /** The driver named by {@code requested}, else {@code $STRATA_FS}, else the first that works here. */
    public FilesystemDriver filesystem(Optional<String> requested) throws LaunchException {
        Optional<String> name = requested.or(() -> Optional.ofNullable(env.get("STRATA_FS")).filter(s -> !s.isEmpty()));
        return drivers().chooseFilesystem(name, probeContext());
    }

    /**
     * What a plash-style run needs beyond the image.
     *
     * @param persist a directory for the writable layer ({@code persist/data}, {@code persist/work}) that
     *                outlives the run (strata run --persist); empty: changes vanish with the container
     */
    public record RunOptions(Optional<String> filesystem, String network, Path workdir, List<String> environment,
                             List<SetupOp.Bind> binds, Optional<Path> persist) {
        public RunOptions(Optional<String> filesystem, String network, Path workdir, List<String> environment,
                          List<SetupOp.Bind> binds) {
            this(filesystem, network, workdir, environment, binds, Optional.empty());
        }

        public RunOptions withPersist(Optional<Path> directory) {
            return new RunOptions(filesystem, network, workdir, environment, binds, directory);
        }
    }

    /**
     * Starts {@code argv} (the image's root shell when empty) on {@code image}, sharing the host the way
     * plash does. The caller waits for the returned container.
     *
     * <p>With no driver named, drivers are tried in priority order without probing first: the first
     * one's mount usually works, so the common case costs one start; when a driver's own mount step
     * fails, the next driver is tried, and the error lists why each failed.
     */
    public Container run(Layer image, List<String> argv, RunOptions options, Timings timings)
            throws LaunchException, IOException {
        List<Layer> chain = store.chain(image);
        List<Path> layers = new ArrayList<>(chain.size());
        for (Layer l : chain) layers.add(l.root());
        List<String> command = argv.isEmpty() ? List.of(store.rootShell(chain)) : argv;
        Optional<Path> persist = preparePersist(options.persist());
        timings.mark("image");
        Optional<String> requested = options.filesystem()
                .or(() -> Optional.ofNullable(env.get("STRATA_FS")).filter(s -> !s.isEmpty()));
        List<FilesystemDriver> candidates = requested.isPresent()
                ? List.of(drivers().filesystem(requested.get()))
                : drivers().filesystems();
        if (candidates.isEmpty()) throw new IllegalStateException("no filesystem drivers installed");
        timings.mark("drivers");
        List<String> failures = new ArrayList<>();
        for (FilesystemDriver fs : candidates) {
            NetworkAttachment network = drivers().network(options.network())
                    .attach(new NetworkRequest(image.shortId(), List.of()));
            ContainerPlans.Plan plan = ContainerPlans.sharedHost(layers, fs, network, ids(), store.mountScratch(),
                    persist, options.binds(), options.workdir(), command, options.environment());
            timings.mark("plan");
            try {
                return launcher().start(plan.steps(), network, timings);
            } catch (LaunchException e) {
                network.close();
                if (requested.isPresent() || !plan.isFilesystemStep(e.failedStep())) throw e;
                failures.add(fs.name() + ": " + e.getMessage());
                org.slf4j.LoggerFactory.getLogger(Engine.class).info("filesystem driver {} failed, trying the next: {}",
                        fs.name(), e.getMessage());
            } catch (RuntimeException e) {
                network.close();
                throw e;
            }
        }
        throw new LaunchException("no filesystem driver works here (" + String.join("; ", failures) + ")", 125);
    }

    @Override
    public synchronized void close() {
        if (probeContext != null) probeContext.close();
    }

    // ---- store maintenance and host-side use of images (strata rm, gc, purge, clean, export, mounts, sudo) ----

    private static final String DEFAULT_PATH = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
    private static final NetworkAttachment NO_NETWORK = () -> 0;

    /** Creates {@code dir/data} and {@code dir/work} for a persistent writable layer; returns dir absolute. */
    private static Optional<Path> preparePersist(Optional<Path> dir) throws IOException {
        if (dir.isEmpty()) return dir;
        Path absolute = dir.get().toAbsolutePath().normalize();
        Files.createDirectories(absolute.resolve("data"));
        Files.createDirectories(absolute.resolve("work"));
        return Optional.of(absolute);
    }

    /**
     * Deletes a directory tree. Rootless, layer files made in a container with the full id mapping
     * belong to subordinate ids the caller cannot delete; then the tree is removed by {@code rm -rf}
     * inside a user namespace with that mapping (on the host filesystem), where the caller is root
     * over those ids.
     */
    public void deleteTree(Path path) throws IOException, LaunchException {
        try {
            Trees.deleteRecursively(path);
            return;
        } catch (NoSuchFileException e) {
            return;
        } catch (FileSystemException e) {
            // EACCES (AccessDeniedException) or EPERM (chmod of a directory a subordinate id owns)
            if (!ids().rootless()) throw e;
        }
        List<SetupOp> plan = List.of(ContainerPlans.namespaces(ids(), Namespaces.MOUNT),
                new SetupOp.Exec(List.of("/bin/rm", "-rf", "--", path.toString()), List.of(DEFAULT_PATH)));
        waitForSuccess(launcher().start(plan, NO_NETWORK, new Timings()), "rm -rf " + path);
        if (Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
            throw new IOException("cannot delete " + path + " (files of ids outside your user namespace?)");
        }
    }

    private static void waitForSuccess(Container c, String what) throws IOException {
        WaitStatus status;
        try {
            status = c.waitFor();
        } catch (ErrnoException e) {
            throw new IOException(what + ": " + e.getMessage(), e);
        }
        if (status.shellCode() != 0) throw new IOException(what + " failed (exit status " + status.shellCode() + ")");
    }

    /** Deletes directories {@link ImageStore#detach detached} from the store and drops their locks. */
    private void deleteDetached(List<Path> dirs) throws IOException, LaunchException {
        for (Path dir : dirs) {
            deleteTree(dir);
            TmpDirectories.release(dir);
        }
    }

    /** Removes {@code image} and every layer built on it, and the names pointing at them; returns their ids. */
    public List<String> remove(Layer image) throws IOException, LaunchException {
        List<String> ids = store.withDescendants(image.id());
        deleteDetached(store.detach(ids));
        return ids;
    }

    /** Removes (unless {@code dryRun}) the layers no name reaches; returns their ids, children first. */
    public List<String> collectGarbage(boolean dryRun) throws IOException, LaunchException {
        List<String> ids = store.unreachable();
        if (!dryRun) deleteDetached(store.detach(ids));
        return ids;
    }

    /** Removes every layer and name, and the leftovers of {@link #clean}. */
    public void purge() throws IOException, LaunchException {
        deleteDetached(store.detachAll());
        clean();
    }

    /** What {@link #clean} did. */
    public record CleanReport(List<Path> removed, List<Path> unmounted) {}

    /**
     * Removes leftovers in DATA/tmp (see {@link ImageStore#leftovers}) and, as root, unmounts stale
     * mounts on DATA/mnt and DATA/tmp in the host's mount namespace (strata mounts there only inside
     * private namespaces, so one visible here outlived its process). A tmp directory that a live mount
     * uses (the changes of {@code strata mount}) is kept.
     */
    public CleanReport clean() throws IOException, LaunchException {
        List<Path> unmounted = new ArrayList<>();
        Path tmp = store.tmpDirectory();
        Path mnt = store.data().resolve("mnt");
        List<MountTable.Entry> mounts = MountTable.current();
        if (!ids().rootless()) {
            List<Path> stale = new ArrayList<>();
            for (var m : mounts) {
                if (m.mountPoint().startsWith(tmp) || m.mountPoint().startsWith(mnt)) stale.add(m.mountPoint());
            }
            stale.sort(Comparator.comparingInt(Path::getNameCount).reversed());
            for (Path p : stale) {
                try {
                    Posix.umount2(p.toString(), Posix.MNT_DETACH);
                    if (!unmounted.contains(p)) unmounted.add(p);
                } catch (ErrnoException e) {
                    // stacked mounts on one point: the first detach took them all
                }
            }
            mounts = MountTable.current();
        }
        Set<Path> used = new HashSet<>();
        for (var m : mounts) {
            for (Path p : m.optionPaths()) {
                if (p.startsWith(tmp) && p.getNameCount() > tmp.getNameCount()) {
                    used.add(tmp.resolve(p.getName(tmp.getNameCount())));
                }
            }
        }
        List<Path> removed = new ArrayList<>();
        for (Path entry : store.leftovers(used::contains)) {
            deleteTree(entry);
            Files.deleteIfExists(TmpDirectories.lockFile(entry));
            removed.add(entry);
        }
        return new CleanReport(removed, unmounted);
    }

    /**
     * Starts a host command with the image's merged filesystem mounted (see
     * {@link ContainerPlans#hostWithImage}), trying filesystem drivers as {@link #run} does.
     *
     * @param argv  the command, given the mount point
     * @param stdio the child's standard descriptors to replace (see {@link Launcher#start})
     */
    public Container startWithImage(Layer image, Optional<String> filesystem, Optional<Path> persist,
                                    Optional<String> workdir, Function<Path, List<String>> argv,
                                    Function<Path, List<String>> environment,
                                    Map<Integer, Integer> stdio) throws IOException, LaunchException {
        List<Path> layers = store.chain(image).stream().map(Layer::root).toList();
        Optional<Path> upper = preparePersist(persist);
        Path scratch = store.mountScratch();
        return startTrying(filesystem, fs -> {
            var host = ContainerPlans.hostWithImage(layers, fs, ids(), scratch, upper, workdir, argv,
                    environment.apply(scratch.resolve("root")));
            return host.plan();
        }, stdio);
    }

    /** Starts the first driver's plan that gets past its mount steps (just the requested one if named). */
    private Container startTrying(Optional<String> filesystem,
                                  Function<FilesystemDriver, ContainerPlans.Plan> planFor,
                                  Map<Integer, Integer> stdio) throws LaunchException {
        Optional<String> requested = filesystem.or(() -> Optional.ofNullable(env.get("STRATA_FS")).filter(s -> !s.isEmpty()));
        List<FilesystemDriver> candidates = requested.isPresent()
                ? List.of(drivers().filesystem(requested.get()))
                : drivers().filesystems();
        if (candidates.isEmpty()) throw new IllegalStateException("no filesystem drivers installed");
        List<String> failures = new ArrayList<>();
        for (FilesystemDriver fs : candidates) {
            ContainerPlans.Plan plan = planFor.apply(fs);
            try {
                return launcher().start(plan.steps(), NO_NETWORK, new Timings(), stdio);
            } catch (LaunchException e) {
                if (requested.isPresent() || !plan.isFilesystemStep(e.failedStep())) throw e;
                failures.add(fs.name() + ": " + e.getMessage());
            }
        }
        throw new LaunchException("no filesystem driver works here (" + String.join("; ", failures) + ")", 125);
    }

    /**
     * Writes the image's merged filesystem as a tar to {@code file} (standard output when empty),
     * made by the host's tar inside the image's namespaces, so whiteouts are applied by the kernel
     * and, rootless, owners come out as the image's ids.
     */
    public void exportTar(Layer image, Optional<Path> file) throws IOException, LaunchException {
        int fd = -1;
        try {
            if (file.isPresent()) {
                try {
                    fd = Posix.open(file.get().toAbsolutePath().toString(),
                            Posix.O_WRONLY | Posix.O_CREAT | Posix.O_TRUNC
                                    | Posix.O_CLOEXEC, 0644);
                } catch (ErrnoException e) {
                    throw new IOException("cannot write " + e.getMessage(), e);
                }
            }
            Map<Integer, Integer> stdio = fd < 0 ? Map.of() : Map.of(1, fd);
            Container c = startWithImage(image, Optional.empty(), Optional.empty(), Optional.empty(),
                    root -> List.of("tar", "--numeric-owner", "-C", root.toString(), "-cf", "-", "."),
                    root -> List.of(DEFAULT_PATH, "LC_ALL=C"), stdio);
            Posix.close(fd);
            fd = -1;
            waitForSuccess(c, "tar");
        } finally {
            Posix.close(fd);
        }
    }

    /** Copies the image's merged filesystem into {@code dir}, which must be missing or empty. */
    public void exportDirectory(Layer image, Path dir) throws IOException, LaunchException {
        Path target = dir.toAbsolutePath().normalize();
        if (Files.exists(target)) {
            if (!Files.isDirectory(target)) throw new IllegalArgumentException(dir + " exists and is not a directory");
            try (var entries = Files.list(target)) {
                if (entries.findAny().isPresent()) throw new IllegalArgumentException(dir + " is not empty");
            }
        }
        Files.createDirectories(target);
        Container c = startWithImage(image, Optional.empty(), Optional.empty(), Optional.empty(),
                root -> List.of("cp", "-a", "--", root + "/.", target.toString()),
                root -> List.of(DEFAULT_PATH, "LC_ALL=C"), Map.of());
        waitForSuccess(c, "cp");
    }

    /**
     * As root, mounts the image on {@code dir} in the host's mount namespace; changes go to
     * {@code changes/data} (work directory {@code changes/work}), else to a new DATA/tmp/mount-*
     * directory that {@link #unmount} removes. Returns the changes directory.
     */
    public Path mount(Layer image, Path dir, Optional<Path> changes) throws IOException, LaunchException {
        if (ids().rootless()) {
            throw new IllegalStateException("strata mount needs root for now (rootless FUSE mounts come with the FUSE drivers);"
                    + " strata with-mount works rootless");
        }
        Path target = dir.toAbsolutePath().normalize();
        if (!Files.isDirectory(target)) throw new IllegalArgumentException(dir + ": not a directory");
        List<Path> layers = store.chain(image).stream().map(Layer::root).toList();
        Path changesDir;
        boolean own = changes.isEmpty();
        if (own) {
            changesDir = TmpDirectories.create(store.tmpDirectory(), "mount-");
        } else {
            changesDir = changes.get().toAbsolutePath().normalize();
            Files.createDirectories(changesDir);
        }
        try {
            waitForSuccess(startTrying(Optional.empty(), fs -> ContainerPlans.hostMount(layers, fs,
                    changesDir.resolve("data"), changesDir.resolve("work"), target), Map.of()), "mount");
        } catch (IOException | LaunchException | RuntimeException e) {
            if (own) {
                Trees.deleteRecursively(changesDir);
            }
            throw e;
        } finally {
            // From here the mount itself marks the directory as in use (strata clean reads mountinfo).
            if (own) TmpDirectories.release(changesDir);
        }
        return changesDir;
    }

    /** As root, unmounts {@code dir}; changes kept in DATA/tmp by {@link #mount} are deleted. */
    public void unmount(Path dir) throws IOException, LaunchException {
        if (ids().rootless()) throw new IllegalStateException("strata umount needs root for now");
        Path target = dir.toAbsolutePath().normalize();
        Optional<MountTable.Entry> entry = MountTable.current().stream()
                .filter(m -> m.mountPoint().equals(target)).reduce((first, second) -> second);
        if (entry.isEmpty()) throw new IllegalArgumentException(dir + " is not a mount point");
        try {
            Posix.umount2(target.toString(), 0);
        } catch (ErrnoException e) {
            throw new IOException(e.getMessage(), e);
        }
        Path tmp = store.tmpDirectory();
        for (Path p : entry.get().optionPaths()) {
            if (p.startsWith(tmp) && p.getNameCount() > tmp.getNameCount()
                    && p.getName(tmp.getNameCount()).toString().startsWith("mount-")) {
                deleteTree(tmp.resolve(p.getName(tmp.getNameCount())));
            }
        }
    }

    /**
     * Runs a host command as root of a user namespace with the caller's full id mapping (a mount
     * namespace too), keeping the working directory and environment; as real root it just runs it.
     */
    public Container sudo(List<String> argv, List<String> environment) throws LaunchException {
        List<SetupOp> plan = new ArrayList<>();
        if (ids().rootless()) plan.add(ContainerPlans.namespaces(ids(), Namespaces.MOUNT));
        plan.add(new SetupOp.Exec(argv, environment));
        return launcher().start(plan, NO_NETWORK, new Timings());
    }
}
