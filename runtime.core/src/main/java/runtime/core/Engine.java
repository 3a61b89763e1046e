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
import runtime.api.net.NetworkDriver;
import runtime.api.net.NetworkRequest;
import runtime.api.plan.Namespaces;
import runtime.api.plan.SetupOp;
import runtime.api.sys.ErrnoException;
import runtime.api.sys.Posix;
import runtime.core.containers.ContainerRecord;
import runtime.core.containers.ContainerRegistry;
import runtime.api.sys.WaitStatus;
import runtime.core.drivers.Drivers;
import runtime.core.launch.Container;
import runtime.core.launch.ImageUser;
import runtime.core.launch.ContainerPlans;
import runtime.core.launch.IdMaps;
import runtime.core.launch.LaunchException;
import runtime.core.launch.Launcher;
import runtime.core.launch.Timings;
import runtime.core.launch.TrialProbeContext;
import runtime.core.store.ImageConfig;
import runtime.core.store.ImageStore;
import runtime.core.store.PrivateDirectory;
import runtime.core.store.Layer;
import runtime.core.store.MergedView;
import runtime.core.store.MountTable;
import runtime.core.store.TmpDirectories;
import runtime.core.store.Trees;

/**
 * strata for one caller: its store, id maps, drivers and launcher, created on first use so that
 * commands that need none of them start fast.
 */
public final class Engine implements AutoCloseable {
    private final Caller caller;
    private final Map<String, String> env;
    private final int uid = Posix.getuid();
    private final ImageStore store;
    private IdMaps ids;
    private Drivers drivers;
    private Launcher launcher;
    private TrialProbeContext probeContext;

    public Engine(Caller caller) {
        this.caller = caller;
        this.env = caller.env();
        this.store = new ImageStore(caller.resolve(ImageStore.defaultLocation(env, uid == 0)), uid == 0);
        store.limits(runtime.core.store.TarExtractor.Limits.fromEnvironment(env));
    }

    public ImageStore store() {
        return store;
    }

    public Map<String, String> environment() {
        return env;
    }

    /** Who this engine works for: environment, working directory, standard descriptors, diagnostics. */
    public Caller caller() {
        return caller;
    }

    public synchronized IdMaps ids() {
        if (ids == null) {
            ids = IdMaps.forCaller(uid, Posix.getgid(), System.getProperty("user.name"), env);
        }
        return ids;
    }

    public synchronized Drivers drivers() {
        if (drivers == null) drivers = Drivers.with(plugins());
        return drivers;
    }

    public synchronized Launcher launcher() throws LaunchException {
        if (launcher == null) launcher = Launcher.locate(env, caller.cwd());
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
        return drivers().chooseFilesystem(requestedFilesystem(requested), probeContext());
    }

    /** The driver name asked for: {@code requested}, else {@code $STRATA_FS}, else none. */
    private Optional<String> requestedFilesystem(Optional<String> requested) {
        return requested.or(() -> Optional.ofNullable(env.get("STRATA_FS")).filter(s -> !s.isEmpty()));
    }

    /** The drivers to try in order: just the named one, or all by priority. */
    private List<FilesystemDriver> filesystemCandidates(Optional<String> name) {
        List<FilesystemDriver> candidates = name.isPresent() ? List.of(drivers().filesystem(name.get())) : drivers().filesystems();
        if (candidates.isEmpty()) throw new IllegalStateException("no filesystem drivers installed");
        return candidates;
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
                             boolean dieWithParent, Optional<ContainerPlans.Isolation> isolation, Optional<Path> logFile,
                             ImageOverrides overrides) {
        public RunOptions(Optional<String> filesystem, String network, Path workdir, List<String> environment,
                          List<SetupOp.Bind> binds, Optional<WritableLayer> writable, boolean stdoutToStderr,
                          boolean dieWithParent, Optional<ContainerPlans.Isolation> isolation, Optional<Path> logFile) {
            this(filesystem, network, workdir, environment, binds, writable, stdoutToStderr, dieWithParent, isolation, logFile,
                    ImageOverrides.NONE);
        }

        public RunOptions(Optional<String> filesystem, String network, Path workdir, List<String> environment,
                          List<SetupOp.Bind> binds) {
            this(filesystem, network, workdir, environment, binds, Optional.empty(), false, false, Optional.empty(), Optional.empty());
        }

        /** What the caller sets over the image's configuration (run's --entrypoint, --user, --workdir, --env). */
        public RunOptions overriding(ImageOverrides o) {
            return new RunOptions(filesystem, network, workdir, environment, binds, writable, stdoutToStderr, dieWithParent,
                    isolation, logFile, o);
        }

        public RunOptions(Optional<String> filesystem, String network, Path workdir, List<String> environment,
                          List<SetupOp.Bind> binds, Optional<WritableLayer> writable, boolean stdoutToStderr,
                          boolean dieWithParent) {
            this(filesystem, network, workdir, environment, binds, writable, stdoutToStderr, dieWithParent, Optional.empty(),
                    Optional.empty());
        }

        /** Detached: stdin from /dev/null, stdout and stderr appended to {@code file}. */
        public RunOptions detached(Path file) {
            return new RunOptions(filesystem, network, workdir, environment, binds, writable, stdoutToStderr, dieWithParent,
                    isolation, Optional.of(file), overrides);
        }

        /**
         * Keeps the changes in {@code directory}/data (overlay's work directory {@code directory}/work),
         * made if missing, so they outlive the run (strata run --persist); empty changes nothing.
         */
        public RunOptions withPersist(Optional<Path> directory) {
            if (directory.isEmpty()) return this;
                Path d = directory.get().normalize();
            if (!d.isAbsolute()) throw new IllegalArgumentException("a persist directory must be absolute: " + d);
            return new RunOptions(filesystem, network, workdir, environment, binds,
                    Optional.of(new WritableLayer(d.resolve("data"), d.resolve("work"))), stdoutToStderr, dieWithParent, isolation,
                    logFile, overrides);
        }

        public RunOptions isolated(ContainerPlans.Isolation isolation) {
            return new RunOptions(filesystem, network, workdir, environment, binds, writable, stdoutToStderr, dieWithParent,
                    Optional.of(isolation), logFile, overrides);
        }
    }

    /** An overlay upper directory and its work directory (same filesystem, both existing). */
    public record WritableLayer(Path upper, Path work) {}

    /**
     * What a caller sets over an image's configuration, as podman's run flags do: {@code entrypoint}
     * replaces the image's Entrypoint and drops its Cmd ({@code --entrypoint}; an empty list clears it),
     * {@code user} its User ({@code -u}), {@code workdir} its WorkingDir ({@code -w}), and {@code env}
     * ({@code -e NAME=VALUE}) is set over the image's Env.
     */
    public record ImageOverrides(Optional<List<String>> entrypoint, Optional<String> user, Optional<Path> workdir,
                                 List<String> env) {
        public static final ImageOverrides NONE = new ImageOverrides(Optional.empty(), Optional.empty(), Optional.empty(), List.of());

        public ImageOverrides {
            entrypoint = entrypoint.map(List::copyOf);
            env = List.copyOf(env);
        }
    }

    /**
     * Starts {@code argv} on {@code image} with the image's configuration applied as the OCI image spec and
     * podman apply it: the process is Entrypoint followed by {@code argv}, or by Cmd when {@code argv} is
     * empty (the image's root shell when all are empty); Env is set over the given environment and the
     * caller's overrides over that; WorkingDir replaces the working directory; User, resolved in the
     * image's own /etc/passwd, is who runs it. {@link RunOptions#overrides} replace each of these.
     * The caller waits for the container.
     *
     * <p>With no driver named, drivers are tried in priority order without probing first: the first
     * one's mount usually works, so the common case costs one start; when a driver's own mount step
     * fails, the next driver is tried, and the error lists why each failed.
     */
    /**
     * The signal that stops a container of image {@code imageId}: its StopSignal, else SIGTERM (also when
     * the image is gone from the store meanwhile).
     */
    public int stopSignal(String imageId) {
        Optional<Layer> layer = store.layer(imageId);
        try {
            return layer.isEmpty() ? runtime.api.sys.Posix.SIGTERM : ImageConfig.read(layer.get().directory()).stopSignalNumber();
        } catch (IOException e) {
            return runtime.api.sys.Posix.SIGTERM;
        }
    }

    public Container run(Layer image, List<String> argv, RunOptions options, Timings timings)
            throws LaunchException, IOException {
        ImageConfig config = ImageConfig.read(image.directory());
        ImageOverrides o = options.overrides();
        List<String> command = new ArrayList<>(o.entrypoint().orElse(config.entrypoint()));
        command.addAll(!argv.isEmpty() ? argv : o.entrypoint().isPresent() ? List.of() : config.cmd());
        if (command.isEmpty()) command.add(store.rootShell(store.chain(image)));
        Optional<String> userSpec = o.user().or(config::user);
        ImageUser user = userSpec.isEmpty() ? ImageUser.ROOT : ImageUser.resolve(userSpec.get(), MergedView.of(store, image));
        if (!user.isRoot()) checkMapped(user, userSpec.get());
        List<String> environment = withOverrides(withImageEnvironment(options.environment(), config), o.env());
        boolean homeSet = config.env().containsKey("HOME") || o.env().stream().anyMatch(kv -> kv.startsWith("HOME="));
        if (options.isolation().isPresent() && !homeSet && user.home().isPresent()) {
            // An isolated container's HOME is its user's, as podman sets it; a shared-host run keeps the caller's.
            environment = withOverrides(environment, List.of("HOME=" + user.home().get()));
        }
        RunOptions resolved = new RunOptions(options.filesystem(), options.network(),
                o.workdir().or(() -> config.workdir().map(Path::of)).orElse(options.workdir()),
                environment, options.binds(), options.writable(),
                options.stdoutToStderr(), options.dieWithParent(), options.isolation(), options.logFile(), ImageOverrides.NONE);
        return launch(image, command, resolved, timings, user);
    }

    /** A rootless user namespace maps only the ids of its maps: say so before the helper's setuid fails. */
    private void checkMapped(ImageUser user, String spec) throws LaunchException {
        IdMaps maps = ids();
        if (!maps.rootless()) return;
        List<Long> gids = new ArrayList<>(user.groups());
        gids.add(user.gid());
        boolean mapped = maps.uids().stream().anyMatch(m -> m.inside() <= user.uid() && user.uid() < m.inside() + m.count())
                && gids.stream().allMatch(g -> maps.gids().stream().anyMatch(m -> m.inside() <= g && g < m.inside() + m.count()));
        if (!mapped) {
            throw new LaunchException("the image runs as user '" + spec + "', which this user namespace cannot map (only "
                    + "root): give your user ranges in /etc/subuid and /etc/subgid, or run with --user 0", 125);
        }
    }

    /** {@code NAME=VALUE} settings replace earlier values of NAME; a setting without '=' is one clear line. */
    public static List<String> withOverrides(List<String> env, List<String> overrides) {
        if (overrides.isEmpty()) return env;
        List<String> result = new ArrayList<>(env);
        for (String kv : overrides) {
            int eq = kv.indexOf('=');
            if (eq <= 0) throw new IllegalArgumentException("bad --env '" + kv + "': want NAME=VALUE");
            String prefix = kv.substring(0, eq + 1);
            result.removeIf(e -> e.startsWith(prefix));
            result.add(kv);
        }
        return result;
    }

    /**
     * Starts {@code command} on {@code image} exactly as given: the image's configuration is not
     * consulted (the builder applies a step's own configuration itself).
     */
    public Container launch(Layer image, List<String> command, RunOptions options, Timings timings)
            throws LaunchException, IOException {
        return launch(image, command, options, timings, ImageUser.ROOT);
    }

    private Container launch(Layer image, List<String> command, RunOptions options, Timings timings, ImageUser user)
            throws LaunchException, IOException {
        List<Layer> chain = store.chain(image);
        List<Path> layers = new ArrayList<>(chain.size());
        for (Layer l : chain) layers.add(l.root());
        List<String> environment = options.environment();
        Path workdir = options.workdir();
        if (options.writable().isPresent()) {
            // Its directory (--persist DIR) is 0700: the container owns the upper directory, its root, and may leave
            // setuid files and devices there, which no other user may reach.
            PrivateDirectory.restrict(options.writable().get().upper().getParent());
            Files.createDirectories(options.writable().get().upper());
            Files.createDirectories(options.writable().get().work());
        }
        timings.mark("image");
        Optional<String> requested = requestedFilesystem(options.filesystem());
        List<FilesystemDriver> candidates = filesystemCandidates(requested);
        timings.mark("drivers");
        Map<Integer, Integer> stdio = caller.childStdio(options.stdoutToStderr() ? Map.of(1, caller.stderrFd()) : Map.of());
        int logFd = -1;
        int nullFd = -1;
        if (options.logFile().isPresent()) {
            try {
                logFd = Posix.open(options.logFile().get().toString(), Posix.O_WRONLY | Posix.O_CREAT | Posix.O_APPEND, 0600);
                nullFd = Posix.open("/dev/null", 0, 0);
            } catch (runtime.api.sys.ErrnoException e) {
                Posix.close(logFd);
                throw new IOException(e.getMessage(), e);
            }
            stdio = Map.of(0, nullFd, 1, logFd, 2, logFd);
        }
        // Isolated containers are listed (strata ps) and get a state directory for their network's sockets.
        Optional<ContainerRecord> record = Optional.empty();
        if (options.isolation().isPresent()) {
            ContainerPlans.Isolation isolation = options.isolation().get();
            record = Optional.of(containers().create(isolation.name(), image.id(), options.network(), command));
            if (isolation.hostname().isEmpty()) {
                // No hostname given: its name, else its id (podman's default), both unique among the containers
                // the registry holds, so no two containers from one image or manifest share a hostname.
                String hostname = record.get().name();
                options = options.isolated(isolation.withHostname(hostname));
                if (environment.stream().noneMatch(e -> e.startsWith("HOSTNAME="))) {
                    environment = new ArrayList<>(environment);
                    environment.add("HOSTNAME=" + hostname);
                }
            }
        }
        try {
            Container c = launchWith(image, layers, candidates, requested, record, options, command, environment, workdir, stdio, timings,
                    user);
            if (record.isPresent()) {
                ContainerRecord started = containers().started(record.get(), c.pid());
                c.identify(started.id());
                c.onExit(() -> containers().remove(started));
            }
            return c;
        } catch (LaunchException | IOException | RuntimeException e) {
            record.ifPresent(containers()::remove);
            throw e;
        } finally {
            Posix.close(logFd);
            Posix.close(nullFd);
        }
    }

    private Container launchWith(Layer image, List<Path> layers, List<FilesystemDriver> candidates, Optional<String> requested,
                                 Optional<ContainerRecord> record, RunOptions options, List<String> command,
                                 List<String> environment, Path workdir, Map<Integer, Integer> stdio, Timings timings,
                                 ImageUser user)
            throws LaunchException, IOException {
        List<String> failures = new ArrayList<>();
        List<String> ports = options.isolation().map(ContainerPlans.Isolation::ports).orElse(List.of());
        runtime.core.cgroups.Limits limits = options.isolation().map(ContainerPlans.Isolation::limits)
                .orElse(runtime.core.cgroups.Limits.NONE);
        // Chosen once per container: asking for systemd where it does not run is one warning, not one per driver tried.
        boolean systemdGroup = !limits.isEmpty() && record.isPresent()
                && runtime.core.cgroups.SystemdScope.chosen(env, ids().rootless(), caller.diagnostics());
        for (FilesystemDriver fs : candidates) {
            NetworkAttachment network = attachNetwork(options.network(), new NetworkRequest(
                    record.map(ContainerRecord::id).orElse(image.shortId()), ports, record.map(ContainerRecord::directory).orElse(null)),
                    options.isolation().flatMap(ContainerPlans.Isolation::hostname).orElse(image.shortId()),
                    record.map(ContainerRecord::name));
            if (!limits.isEmpty() && record.isPresent()) {
                network = new LimitedAttachment(network,
                        runtime.core.cgroups.ContainerGroup.create(record.get().id(), limits, systemdGroup, ids().rootless()), limits);
            }
            if (options.isolation().map(ContainerPlans.Isolation::userNamespaceAsRoot).orElse(false) && !ids().rootless()) {
                network = new runtime.core.launch.UserNamespaceMaps(network);
            }
            Optional<ContainerPlans.Upper> keep = options.writable().map(w -> new ContainerPlans.Upper(w.upper(), w.work()));
            ContainerPlans.Plan plan = options.isolation().isPresent()
                    ? ContainerPlans.isolated(layers, fs, network, ids(), store.mountScratch(), keep, options.isolation().get(),
                            options.binds(), workdir, command, environment)
                    : ContainerPlans.sharedHost(layers, fs, network, ids(), store.mountScratch(), keep, options.dieWithParent(),
                            options.binds(), workdir, command, environment);
            if (!user.isRoot()) plan = plan.asUser(user.setupOp());
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
     * Puts the container into its control group(s) while the helper waits at its sync step (before the
     * command runs), and removes them when the container has ended. Wraps the network's attachment, which
     * owns that moment.
     */
    private static final class LimitedAttachment extends runtime.core.launch.SyncHookAttachment {
        private final runtime.core.cgroups.ContainerGroup cgroup;
        private final runtime.core.cgroups.Limits limits;

        LimitedAttachment(NetworkAttachment network, runtime.core.cgroups.ContainerGroup cgroup, runtime.core.cgroups.Limits limits) {
            super(network);
            this.cgroup = cgroup;
            this.limits = limits;
        }

        @Override
        protected void atSync(long pid) {
            try {
                cgroup.add(pid);
            } catch (IOException e) {
                throw new IllegalStateException("cannot put the container in its cgroup: " + e.getMessage(), e);
            }
            // --cpus 1.5 may use two CPUs' time slices: nproc says 2 (the quota still caps it at 1.5).
            if (limits.cpus().isPresent()) {
                try {
                    Posix.keepFirstCpus(pid, (int) Math.ceil(limits.cpus().getAsDouble()));
                } catch (runtime.api.sys.ErrnoException e) {
                    throw new IllegalStateException("cannot narrow the container's CPUs: " + e.getMessage(), e);
                }
            }
        }

        @Override
        public void close() {
            try {
                super.close();
            } finally {
                cgroup.remove();
            }
        }
    }

    /**
     * After a container with a writable layer on disk has ended: waits until its FUSE daemon (if any) is
     * gone, so nothing writes the upper any more, then has the driver convert what it wrote to the store's
     * layer format ({@link FilesystemDriver#normalizeUpper}) and removes the mount points strata made for
     * its binds ({@link runtime.core.store.MountStubs}). Call before committing the upper.
     */
    public void finishUpper(Container container, Layer image, Path upper) throws IOException {
        runtime.core.launch.FuseDaemons.awaitGone(upper, java.time.Duration.ofSeconds(5));
        List<Path> layers = new ArrayList<>();
        for (Layer l : store.chain(image)) layers.add(l.root());
        Optional<FilesystemDriver> fs = container.filesystem();
        if (fs.isPresent()) fs.get().normalizeUpper(upper, layers, uid == 0);
        // The layer holds only the step's changes, not the mount points made for the host's files.
        runtime.core.store.MountStubs.remove(upper, layers, ContainerPlans.SHARED_HOST_PATHS, uid == 0);
    }

    /**
     * An image by {@code SOURCE:REFERENCE} (pulled through that image source, e.g. {@code oci:alpine:3.20}),
     * id, unique id prefix or map name; a name found nowhere goes to the default source
     * ({@code $STRATA_DEFAULT_SOURCE}) when one is set.
     */
    public Layer resolveImage(String reference) throws IOException {
        return resolveImage(reference, PullPolicy.MISSING);
    }

    /**
     * When a registry is asked for an image (podman's --pull): {@code MISSING} only when the store has no
     * image by the reference's name (no registry round trip for an image pulled before), {@code ALWAYS}
     * every time (strata pull), {@code NEVER}: the store's image or an error.
     */
    public enum PullPolicy {
        MISSING, ALWAYS, NEVER;

        /** --pull's value: missing, always, never (podman's spelling; newer is taken as missing). */
        public static PullPolicy parse(String value) {
            return switch (value) {
                case "missing", "newer" -> MISSING;
                case "always" -> ALWAYS;
                case "never" -> NEVER;
                default -> throw new IllegalArgumentException("bad --pull '" + value + "': want missing, always or never");
            };
        }
    }

    /**
     * The image a reference names: an id or name in the store, or a SCHEME:REFERENCE from its source.
     * An {@code oci:} pull records its reference (as podman shows it, {@code localhost:5000/app:1}) as a
     * name of the image: images lists it, gc keeps it, any command resolves it, and {@code policy} decides
     * whether the registry is asked again.
     */
    public Layer resolveImage(String reference, PullPolicy policy) throws IOException {
        // Only a SCHEME:REFERENCE can name a source: a plain image id or tag does not pay for loading them.
        Optional<runtime.api.source.ImageSource> source = reference.indexOf(':') > 0 ? sources().forReference(reference) : Optional.empty();
        if (source.isPresent()) {
            String inSource = reference.substring(reference.indexOf(':') + 1);
            Optional<String> name = source.get().scheme().equals("oci") && ImageStore.isMapName(inSource)
                    ? Optional.of(inSource) : Optional.empty();
            if (name.isPresent() && policy != PullPolicy.ALWAYS) {
                Optional<Layer> local = store.mapped(name.get()).flatMap(store::layer);
                if (local.isPresent()) return local.get();
            }
            if (name.isPresent() && policy == PullPolicy.NEVER) {
                throw new runtime.core.store.StoreException("no image '" + name.get() + "' in the store and --pull=never: "
                        + "pull it first (strata pull " + reference + ")");
            }
            Layer pulled = pull(source.get(), inSource);
            if (name.isPresent()) store.map(name.get(), Optional.of(pulled.id()));
            return pulled;
        }
        try {
            return store.resolve(reference);
        } catch (runtime.core.store.StoreException notInStore) {
            String fallback = env.get("STRATA_DEFAULT_SOURCE");
            if (fallback != null && !fallback.isEmpty()) return pull(sources().scheme(fallback), reference);
            if (!runtime.core.source.oci.ShortNames.isShortName(reference)) throw notInStore;
            return resolveShortName(reference, policy, notInStore);
        }
    }

    /**
     * A short name (alpine:3.20) as podman resolves it (registries.conf: an alias, else each search registry
     * in turn, the first that has it); the pulled image is named by its qualified reference, so the next
     * resolve finds it there without asking the registry (unless {@code policy} says always).
     */
    public Layer resolveShortName(String reference, PullPolicy policy, RuntimeException notFound) throws IOException {
        runtime.core.source.oci.ShortNames.Config conf = runtime.core.source.oci.ShortNames.read(env);
        List<runtime.core.source.oci.ShortNames.Candidate> candidates = conf.candidates(reference);
        if (candidates.isEmpty()) {
            // Nothing configured: the store's own "no image" says it best (run nosuch is no registry matter).
            if (notFound instanceof runtime.core.store.StoreException e) throw e;
            throw new runtime.core.store.StoreException(notFound.getMessage() + "; registries.conf has no alias for it and no "
                    + "unqualified-search-registries (" + (conf.files().isEmpty() ? "no file" : conf.files().getFirst()) + ")");
        }
        List<String> failures = new ArrayList<>();
        for (runtime.core.source.oci.ShortNames.Candidate c : candidates) {
            try {
                return resolveImage("oci:" + c.reference(), policy);
            } catch (RuntimeException e) {
                if (candidates.size() == 1) {
                    throw new runtime.core.store.StoreException(reference + " is " + c.reference() + " (" + c.why() + "): " + e.getMessage(), e);
                }
                failures.add(c.reference() + ": " + e.getMessage());
            }
        }
        throw new runtime.core.store.StoreException("no image '" + reference + "' in the store nor the search registries: "
                + String.join("; ", failures));
    }

    private Layer pull(runtime.api.source.ImageSource source, String reference) throws IOException {
        try (runtime.core.source.StoreSourceContext context = new runtime.core.source.StoreSourceContext(this)) {
            String id = source.pull(reference, context);
            return store.layer(id).orElseThrow(() -> new IllegalStateException(
                    "source " + source.scheme() + " returned an image id that is not in the store: " + id));
        }
    }

    /**
     * A network driver by name, or else a named network (strata network create), where the container is
     * known by its hostname, its name and its id.
     */
    private NetworkAttachment attachNetwork(String name, NetworkRequest request, String hostname, Optional<String> containerName)
            throws IOException, LaunchException {
        if (drivers().networks().stream().anyMatch(d -> d.name().equals(name))) return drivers().network(name).attach(request);
        Optional<runtime.core.net.BridgeNetworks.Network> named = networks().find(name);
        if (named.isEmpty()) {
            throw new IllegalArgumentException("no network driver or network '" + name + "' (strata drivers, strata network ls)");
        }
        List<String> names = new ArrayList<>(List.of(hostname));
        containerName.ifPresent(names::add);
        names.add(request.containerId());
        return networks().attach(named.get(), request.containerId(), names.stream().distinct().toList(), outbound(request));
    }

    /** The driver that takes a named network's containers out (and forwards ports to them). */
    private static final String OUTBOUND = "slirp4netns";

    /**
     * A named network container's way out: its own slirp4netns when that works here (probed once), for
     * outbound traffic, DNS and {@code -p}. Without it, only port forwards are refused.
     */
    private Optional<NetworkAttachment> outbound(NetworkRequest request) throws LaunchException {
        Optional<NetworkDriver> slirp = drivers().networks().stream().filter(d -> d.name().equals(OUTBOUND)).findFirst();
        Optional<String> unusable = slirp.isEmpty() ? Optional.of("there is no " + OUTBOUND + " driver")
                : request.stateDirectory() == null ? Optional.of("it needs --isolate")
                : Optional.of(drivers().probe(slirp.get(), probeContext())).filter(p -> !p.usable()).map(p -> p.reason());
        if (unusable.isEmpty()) return Optional.of(slirp.get().attach(request));
        if (!request.ports().isEmpty()) {
            throw new IllegalArgumentException("port forwards on a named network need " + OUTBOUND + ", and " + unusable.get());
        }
        return Optional.empty();
    }

    /** The port forwards of a container on {@code network} (a driver's name or a named network's). */
    public Optional<NetworkDriver.PortControl> portControl(String network, Path stateDirectory) {
        boolean driver = drivers().networks().stream().anyMatch(d -> d.name().equals(network));
        return drivers().network(driver ? network : OUTBOUND).portControl(stateDirectory);
    }

    private runtime.core.net.BridgeNetworks networks;

    /** The caller's named networks. */
    public synchronized runtime.core.net.BridgeNetworks networks() throws LaunchException {
        if (networks == null) {
            networks = new runtime.core.net.BridgeNetworks(ContainerRegistry.runtimeDirectory(env, uid), ids(), launcher());
        }
        return networks;
    }

    private runtime.core.plugins.Plugins plugins;

    /** Plugins from $STRATA_PLUGINS, DATA/plugins and /usr/lib/strata/plugins. */
    public synchronized runtime.core.plugins.Plugins plugins() {
        if (plugins == null) plugins = runtime.core.plugins.Plugins.load(runtime.core.plugins.Plugins.directories(env, store.data()));
        return plugins;
    }

    private ContainerRegistry containers;

    /** The caller's running containers. */
    public synchronized ContainerRegistry containers() {
        if (containers == null) containers = new ContainerRegistry(ContainerRegistry.runtimeDirectory(env, uid));
        return containers;
    }

    private runtime.core.source.Sources sources;

    public synchronized runtime.core.source.Sources sources() {
        if (sources == null) sources = runtime.core.source.Sources.with(plugins());
        return sources;
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
        try {
            if (probeContext != null) probeContext.close();
        } finally {
            store.close();
        }
    }

    // ---- store maintenance and host-side use of images (strata rm, gc, purge, clean, export, mounts, sudo) ----

    private static final String DEFAULT_PATH = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
    private static final NetworkAttachment NO_NETWORK = () -> 0;

    /**
     * Creates {@code dir/data} and {@code dir/work} for a persistent writable layer; returns dir absolute.
     * dir is made 0700: the container owns dir/data (its root directory, whose mode it sets) and may leave
     * setuid files and devices there, which no other user may reach.
     */
    private Optional<Path> preparePersist(Optional<Path> dir) throws IOException {
        if (dir.isEmpty()) return dir;
        Path absolute = PrivateDirectory.restrict(caller.resolve(dir.get()));
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
        waitForSuccess(launcher().start(plan, NO_NETWORK, new Timings(), caller.childStdio(Map.of())), "rm -rf " + path);
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

    /** plash's shrink: removes {@link ImageStore#olderHalf} (or only lists it) and returns the ids. */
    public List<String> shrink(boolean dryRun) throws IOException, LaunchException {
        List<String> ids = store.olderHalf();
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
        Set<Path> used = tmpUsedByMounts(mounts);
        List<Path> removed = new ArrayList<>();
        for (Path entry : store.leftovers(used::contains)) {
            deleteTree(entry);
            Files.deleteIfExists(TmpDirectories.lockFile(entry));
            removed.add(entry);
        }
        return new CleanReport(removed, unmounted);
    }

    /** DATA/tmp entries that a live mount uses (the changes of {@code strata mount}): never leftovers. */
    private Set<Path> tmpUsedByMounts(List<MountTable.Entry> mounts) {
        Path tmp = store.tmpDirectory();
        Set<Path> used = new HashSet<>();
        for (var m : mounts) {
            for (Path p : m.optionPaths()) {
                if (p.startsWith(tmp) && p.getNameCount() > tmp.getNameCount()) {
                    used.add(tmp.resolve(p.getName(tmp.getNameCount())));
                }
            }
        }
        return used;
    }

    /** The store's problems (strata fsck), see {@link runtime.core.store.StoreCheck}. */
    public List<runtime.core.store.StoreCheck.Problem> fsck() throws IOException {
        return runtime.core.store.StoreCheck.check(store, tmpUsedByMounts(MountTable.current())::contains);
    }

    /**
     * Repairs what {@link #fsck} found: broken layers and the layers built on them are removed (with
     * the names pointing at them) the way {@code rm} removes, names pointing nowhere are dropped, and
     * leftovers are cleaned as {@link #clean} does (only what no live process holds), mount-point stubs
     * are removed from the layers holding them. Returns the
     * problems left afterwards (none when the repair worked).
     */
    public List<runtime.core.store.StoreCheck.Problem> repair(List<runtime.core.store.StoreCheck.Problem> problems)
            throws IOException, LaunchException {
        deleteDetached(store.detach(runtime.core.store.StoreCheck.layersToRemove(store, problems)));
        runtime.core.store.StoreCheck.removeStubs(store, problems);
        for (var p : problems) {
            if (p.kind() != runtime.core.store.StoreCheck.Kind.NAME) continue;
            if (ImageStore.isMapName(p.subject())) {
                store.map(p.subject(), Optional.empty());
            } else {
                Files.deleteIfExists(store.mapDirectory().resolve(p.subject()));
            }
        }
        if (problems.stream().anyMatch(p -> p.kind() == runtime.core.store.StoreCheck.Kind.LEFTOVER)) clean();
        return fsck();
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
        Optional<String> requested = requestedFilesystem(filesystem);
        List<String> failures = new ArrayList<>();
        for (FilesystemDriver fs : filesystemCandidates(requested)) {
            ContainerPlans.Plan plan = planFor.apply(fs);
            try {
                return launcher().start(plan.steps(), NO_NETWORK, new Timings(), caller.childStdio(stdio));
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
                    // The caller's umask, not this process's: a server's is not the caller's.
                    fd = Posix.open(caller.resolve(file.get()).toString(),
                            Posix.O_WRONLY | Posix.O_CREAT | Posix.O_TRUNC
                                    | Posix.O_CLOEXEC, 0666 & ~caller.umask());
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
        Path target = caller.resolve(dir);
        if (Files.exists(target)) {
            if (!Files.isDirectory(target)) throw new IllegalArgumentException(dir + " exists and is not a directory");
            try (var entries = Files.list(target)) {
                if (entries.findAny().isPresent()) throw new IllegalArgumentException(dir + " is not empty");
            }
        }
        PrivateDirectory.restrict(target); // the copy keeps the image's setuid files and devices: for the caller only
        Container c = startWithImage(image, Optional.empty(), Optional.empty(), Optional.empty(),
                // Each entry of the root, not the root itself: `cp -a ROOT/. DIR` would give DIR the root's mode.
                root -> List.of("find", root.toString(), "-mindepth", "1", "-maxdepth", "1", "-exec", "cp", "-a", "-t", target.toString(), "--", "{}", "+"),
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
        Path target = caller.resolve(dir);
        if (!Files.isDirectory(target)) throw new IllegalArgumentException(dir + ": not a directory");
        List<Path> layers = store.chain(image).stream().map(Layer::root).toList();
        Path changesDir;
        boolean own = changes.isEmpty();
        if (own) {
            changesDir = TmpDirectories.create(store.tmpDirectory(), "mount-");
        } else {
            changesDir = PrivateDirectory.restrict(caller.resolve(changes.get())); // files written through the mount
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
        Path target = caller.resolve(dir);
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
     * namespace too), in the caller's working directory with {@code environment}; as real root it just
     * runs it.
     */
    public Container sudo(List<String> argv, List<String> environment) throws LaunchException {
        List<SetupOp> plan = new ArrayList<>();
        // A mount namespace as root too (as plash's sudo): what CMD mounts ends with it and never reaches the host.
        plan.add(ContainerPlans.namespaces(ids(), Namespaces.MOUNT));
        plan.add(ContainerPlans.PRIVATE_PROPAGATION);
        plan.add(new SetupOp.ChangeDirectory(caller.cwd(), Path.of("/")));
        plan.add(new SetupOp.Exec(argv, environment));
        return launcher().start(plan, NO_NETWORK, new Timings(), caller.childStdio(Map.of()));
    }
}
