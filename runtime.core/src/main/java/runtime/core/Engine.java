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
import runtime.core.store.ImageConfig;
import runtime.core.store.ImageStore;
import runtime.core.store.Layer;
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
     * @param environment the environment before the image's own (--env) variables are applied
     * @param writable    a directory pair on disk to keep the container's changes in (build steps,
     *                    run --persist); empty for a scratch upper layer on tmpfs that vanishes
     * @param stdoutToStderr give the container strata's stderr as its stdout (build steps: strata's
     *                    stdout carries only the resulting image id)
     * @param dieWithParent kill the container if strata dies (build steps: no orphan writes into a
     *                    staging directory)
     */
    public record RunOptions(Optional<String> filesystem, String network, Path workdir, List<String> environment,
                             List<SetupOp.Bind> binds, Optional<WritableLayer> writable, boolean stdoutToStderr,
                             boolean dieWithParent) {
        public RunOptions(Optional<String> filesystem, String network, Path workdir, List<String> environment,
                          List<SetupOp.Bind> binds) {
            this(filesystem, network, workdir, environment, binds, Optional.empty(), false, false);
        }
    }

    /** An overlay upper directory and its work directory (same filesystem, both existing). */
    public record WritableLayer(Path upper, Path work) {}

    /**
     * Starts {@code argv} on {@code image}, sharing the host the way plash does. With no command, the
     * image's entrypoint runs, else its root shell. The image's --env variables override the given
     * environment, and its --workdir replaces the working directory. The caller waits for the container.
     *
     * <p>With no driver named, drivers are tried in priority order without probing first: the first
     * one's mount usually works, so the common case costs one start; when a driver's own mount step
     * fails, the next driver is tried, and the error lists why each failed.
     */
    public Container run(Layer image, List<String> argv, RunOptions options, Timings timings)
            throws LaunchException, IOException {
        ImageConfig config = ImageConfig.read(image.directory());
        List<String> command = !argv.isEmpty() ? argv
                : !config.defaultCommand().isEmpty() ? config.defaultCommand() : List.of(store.rootShell(store.chain(image)));
        RunOptions resolved = new RunOptions(options.filesystem(), options.network(),
                config.workdir().map(Path::of).orElse(options.workdir()),
                withImageEnvironment(options.environment(), config), options.binds(), options.writable(),
                options.stdoutToStderr(), options.dieWithParent());
        return launch(image, command, resolved, timings);
    }

    /**
     * Starts {@code command} on {@code image} exactly as given: the image's configuration is not
     * consulted (the builder applies a step's own configuration itself).
     */
    public Container launch(Layer image, List<String> command, RunOptions options, Timings timings)
            throws LaunchException, IOException {
        List<Layer> chain = store.chain(image);
        List<Path> layers = new ArrayList<>(chain.size());
        for (Layer l : chain) layers.add(l.root());
        List<String> environment = options.environment();
        Path workdir = options.workdir();
        timings.mark("image");
        Optional<String> requested = options.filesystem()
                .or(() -> Optional.ofNullable(env.get("STRATA_FS")).filter(s -> !s.isEmpty()));
        List<FilesystemDriver> candidates = requested.isPresent()
                ? List.of(drivers().filesystem(requested.get()))
                : drivers().filesystems();
        if (candidates.isEmpty()) throw new IllegalStateException("no filesystem drivers installed");
        timings.mark("drivers");
        Map<Integer, Integer> stdio = options.stdoutToStderr() ? Map.of(1, 2) : Map.of();
        List<String> failures = new ArrayList<>();
        for (FilesystemDriver fs : candidates) {
            NetworkAttachment network = drivers().network(options.network())
                    .attach(new NetworkRequest(image.shortId(), List.of()));
            ContainerPlans.Plan plan = ContainerPlans.sharedHost(layers, fs, network, ids(), store.mountScratch(),
                    options.writable().map(w -> new ContainerPlans.Upper(w.upper(), w.work())), options.dieWithParent(),
                    options.binds(), workdir, command, environment);
            timings.mark("plan");
            try {
                return launcher().start(plan.steps(), network, timings, stdio).filesystem(fs);
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

    /**
     * After a container with a writable layer on disk has ended: waits until its FUSE daemon (if any) is
     * gone, so nothing writes the upper any more, then has the driver convert what it wrote to the store's
     * layer format ({@link FilesystemDriver#normalizeUpper}). Call before committing the upper.
     */
    public void finishUpper(Container container, Layer image, Path upper) throws IOException {
        runtime.core.launch.FuseDaemons.awaitGone(upper, java.time.Duration.ofSeconds(5));
        Optional<FilesystemDriver> fs = container.filesystem();
        if (fs.isEmpty()) return;
        List<Path> layers = new ArrayList<>();
        for (Layer l : store.chain(image)) layers.add(l.root());
        fs.get().normalizeUpper(upper, layers, uid == 0);
    }

    /**
     * An image by {@code SOURCE:REFERENCE} (pulled through that image source, e.g. {@code oci:alpine:3.20}),
     * id, unique id prefix or map name; a name found nowhere goes to the default source
     * ({@code $STRATA_DEFAULT_SOURCE}) when one is set.
     */
    public Layer resolveImage(String reference) throws IOException {
        Optional<runtime.api.source.ImageSource> source = sources().forReference(reference);
        if (source.isPresent()) {
            return pull(source.get(), reference.substring(reference.indexOf(':') + 1));
        }
        try {
            return store.resolve(reference);
        } catch (runtime.core.store.StoreException notInStore) {
            String fallback = env.get("STRATA_DEFAULT_SOURCE");
            if (fallback == null || fallback.isEmpty()) throw notInStore;
            return pull(sources().scheme(fallback), reference);
        }
    }

    private Layer pull(runtime.api.source.ImageSource source, String reference) throws IOException {
        try (runtime.core.source.StoreSourceContext context = new runtime.core.source.StoreSourceContext(this)) {
            String id = source.pull(reference, context);
            return store.layer(id).orElseThrow(() -> new IllegalStateException(
                    "source " + source.scheme() + " returned an image id that is not in the store: " + id));
        }
    }

    private runtime.core.source.Sources sources;

    public synchronized runtime.core.source.Sources sources() {
        if (sources == null) sources = runtime.core.source.Sources.boot();
        return sources;
    }

    /**
     * Deletes a tree the caller owns. Rootless, files that a container created as another mapped id
     * (e.g. {@code _apt}) belong to a subordinate id on the host and only root in the user namespace may
     * remove them: on a permission error the removal is retried there, with the host's {@code rm}.
     */
    public void deleteTree(Path path) throws IOException, LaunchException {
        try {
            Trees.deleteRecursively(path);
        } catch (java.nio.file.AccessDeniedException e) {
            if (!ids().rootless()) throw e;
            List<SetupOp> plan = List.of(ContainerPlans.namespaces(ids(), runtime.api.plan.Namespaces.MOUNT),
                    new SetupOp.Exec(List.of("/bin/rm", "-rf", "--", path.toString()), List.of("PATH=/usr/bin:/bin")));
            var status = launcher().start(plan, () -> 0, new Timings()).waitFor();
            if (status.shellCode() != 0) throw new IOException("cannot remove " + path + " (rm exited " + status.shellCode() + ")");
        }
    }

    /** The environment with the image's variables set over it. */
    public static List<String> withImageEnvironment(List<String> base, ImageConfig config) {
        if (config.env().isEmpty()) return base;
        List<String> result = new ArrayList<>();
        for (String kv : base) {
            int eq = kv.indexOf('=');
            if (eq < 0 || !config.env().containsKey(kv.substring(0, eq))) result.add(kv);
        }
        result.addAll(config.envList());
        return result;
    }

    @Override
    public synchronized void close() {
        if (probeContext != null) probeContext.close();
    }
}
