package runtime.core;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import runtime.api.fs.FilesystemDriver;
import runtime.api.net.NetworkAttachment;
import runtime.api.net.NetworkRequest;
import runtime.api.plan.SetupOp;
import runtime.api.sys.Posix;
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

    /** What a plash-style run needs beyond the image. */
    public record RunOptions(Optional<String> filesystem, String network, Path workdir, List<String> environment,
                             List<SetupOp.Bind> binds) {}

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
                    options.binds(), options.workdir(), command, options.environment());
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
}
