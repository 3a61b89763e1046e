package runtime.core.drivers;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;

import runtime.api.Probe;
import runtime.api.ProbeContext;
import runtime.api.Spi;
import runtime.api.fs.FilesystemDriver;
import runtime.api.net.NetworkDriver;

/**
 * The filesystem and network drivers found with {@link ServiceLoader}, and the choice among them.
 * A driver that fails to load or declares another SPI version is kept as a {@link Broken} entry with
 * its reason, so {@code strata drivers} can name it, and is never used.
 */
public final class Drivers {
    /** A driver that could not be used at all, and why. */
    public record Broken(String name, String reason) {}

    private final List<FilesystemDriver> filesystems = new ArrayList<>();
    private final List<NetworkDriver> networks = new ArrayList<>();
    private final List<Broken> broken = new ArrayList<>();
    private final Map<String, Probe> probes = new LinkedHashMap<>();

    private Drivers(ServiceLoader<FilesystemDriver> fs, ServiceLoader<NetworkDriver> net) {
        load(fs, filesystems, FilesystemDriver::spiVersion, FilesystemDriver::name, null);
        load(net, networks, NetworkDriver::spiVersion, NetworkDriver::name, null);
        filesystems.sort(BY_PRIORITY);
    }

    // One lambda of ours, not Comparator.comparingInt(..).thenComparing(..): the JDK's combinators spin three
    // classes on every cold start (the AOT cache does not keep them).
    private static final Comparator<FilesystemDriver> BY_PRIORITY = (a, b) -> {
        int c = Integer.compare(a.priority(), b.priority());
        return c != 0 ? c : a.name().compareTo(b.name());
    };

    /** strata's own drivers plus those of the plugins that loaded; broken plugins are listed as broken. */
    public static Drivers with(runtime.core.plugins.Plugins plugins) {
        Drivers d = boot();
        for (ModuleLayer layer : plugins.layers()) {
            // A layer's service loader also sees its parents' providers: keep the plugin's own.
            d.load(ServiceLoader.load(layer, FilesystemDriver.class), d.filesystems, FilesystemDriver::spiVersion,
                    FilesystemDriver::name, layer);
            d.load(ServiceLoader.load(layer, NetworkDriver.class), d.networks, NetworkDriver::spiVersion, NetworkDriver::name, layer);
        }
        for (var p : plugins.broken()) d.broken(new Broken("plugin " + p.name(), p.problem().orElse("")));
        d.filesystems.sort(BY_PRIORITY);
        return d;
    }

    /** Drivers in a module layer (plugins loaded into their own layer). */

    /**
     * Drivers visible to strata itself: modules of the boot layer ({@code provides}) and, when strata runs
     * on the class path (the benchmarks), {@code META-INF/services} entries.
     */
    public static Drivers boot() {
        return new Drivers(bootLoader(FilesystemDriver.class), bootLoader(NetworkDriver.class));
    }

    /**
     * The service loader for strata's own providers. As a named module, only its layer's: the plain
     * {@code ServiceLoader.load} would also look for {@code META-INF/services} files, which opens every jar of
     * the module path (a third of a cold {@code strata run}). On the class path, the plain one.
     */
    public static <S> ServiceLoader<S> bootLoader(Class<S> service) {
        ModuleLayer layer = Drivers.class.getModule().getLayer();
        return layer != null ? ServiceLoader.load(layer, service) : ServiceLoader.load(service);
    }

    private <T> void load(ServiceLoader<T> loader, List<T> into, java.util.function.ToIntFunction<T> version,
                          java.util.function.Function<T, String> name, ModuleLayer only) {
        var it = loader.stream().iterator();
        while (true) {
            ServiceLoader.Provider<T> provider;
            try {
                if (!it.hasNext()) break;
                provider = it.next();
            } catch (ServiceConfigurationError e) {
                broken(new Broken("?", e.getMessage()));
                continue;
            }
            if (only != null && provider.type().getModule().getLayer() != only) continue;
            try {
                T driver = provider.get();
                int v = version.applyAsInt(driver);
                if (v != Spi.VERSION) {
                    broken(new Broken(name.apply(driver), "built for driver SPI " + v + ", strata has " + Spi.VERSION));
                } else {
                    into.add(driver);
                }
            } catch (ServiceConfigurationError | RuntimeException | LinkageError e) {
                broken(new Broken(provider.type().getName(), String.valueOf(e.getMessage())));
            }
        }
    }

    private void broken(Broken b) {
        broken.add(b);
        // Logged lazily: most starts load no broken driver and should not pay for the logging backend.
        org.slf4j.LoggerFactory.getLogger(Drivers.class).warn("driver {} is not usable: {}", b.name(), b.reason());
    }

    public List<FilesystemDriver> filesystems() {
        return List.copyOf(filesystems);
    }

    public List<NetworkDriver> networks() {
        return List.copyOf(networks);
    }

    public List<Broken> broken() {
        return List.copyOf(broken);
    }

    /** Probes once per driver and process; a probe that throws counts as unusable. */
    public Probe probe(FilesystemDriver driver, ProbeContext context) {
        return probes.computeIfAbsent("fs:" + driver.name(), k -> safeProbe(() -> driver.probe(context)));
    }

    public Probe probe(NetworkDriver driver, ProbeContext context) {
        return probes.computeIfAbsent("net:" + driver.name(), k -> safeProbe(() -> driver.probe(context)));
    }

    private static Probe safeProbe(java.util.function.Supplier<Probe> probe) {
        try {
            return probe.get();
        } catch (RuntimeException | LinkageError e) {
            return Probe.unusable("probe failed: " + runtime.core.Errors.oneLine(e));
        }
    }

    /**
     * The filesystem driver to use: {@code requested} by name (it must exist; it is not probed, so its
     * own error shows if it fails), else the first driver, by priority, whose probe succeeds.
     */
    public FilesystemDriver chooseFilesystem(Optional<String> requested, ProbeContext context) {
        if (requested.isPresent()) return filesystem(requested.get());
        List<String> reasons = new ArrayList<>();
        for (FilesystemDriver driver : filesystems) {
            Probe p = probe(driver, context);
            if (p.usable()) return driver;
            reasons.add(driver.name() + ": " + p.reason());
        }
        throw new IllegalStateException("no filesystem driver works here (" + String.join("; ", reasons) + ")");
    }

    public FilesystemDriver filesystem(String name) {
        return filesystems.stream().filter(d -> d.name().equals(name)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no filesystem driver '" + name + "' (strata drivers lists them)"));
    }

    public NetworkDriver network(String name) {
        return networks.stream().filter(d -> d.name().equals(name)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no network driver '" + name + "' (strata drivers lists them)"));
    }
}
