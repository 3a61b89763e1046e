package runtime.core.source;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;

import runtime.api.Spi;
import runtime.api.source.ImageSource;

/** The image sources found with {@link ServiceLoader}, by scheme. */
public final class Sources {
    private final List<ImageSource> sources = new ArrayList<>();
    private final List<String> broken = new ArrayList<>();

    private Sources(ServiceLoader<ImageSource> loader) {
        add(loader, null);
    }

    /** strata's sources plus the plugins'. */
    public static Sources with(runtime.core.plugins.Plugins plugins) {
        Sources s = boot();
        for (ModuleLayer layer : plugins.layers()) s.add(ServiceLoader.load(layer, ImageSource.class), layer);
        return s;
    }

    private void add(ServiceLoader<ImageSource> loader, ModuleLayer only) {
        var it = loader.stream().iterator();
        while (true) {
            try {
                if (!it.hasNext()) break;
                var provider = it.next();
                if (only != null && provider.type().getModule().getLayer() != only) continue;
                ImageSource s = provider.get();
                if (s.spiVersion() != Spi.VERSION) {
                    broken.add(s.scheme() + ": built for SPI " + s.spiVersion() + ", strata has " + Spi.VERSION);
                } else {
                    sources.add(s);
                }
            } catch (ServiceConfigurationError | RuntimeException | LinkageError e) {
                broken.add(String.valueOf(e.getMessage()));
            }
        }
    }

    public static Sources boot() {
        return new Sources(runtime.core.drivers.Drivers.bootLoader(ImageSource.class));
    }

    public List<ImageSource> all() {
        return List.copyOf(sources);
    }

    public List<String> broken() {
        return List.copyOf(broken);
    }

    /** The source a {@code SCHEME:REFERENCE} names, if SCHEME is a known source's. */
    public Optional<ImageSource> forReference(String reference) {
        int colon = reference.indexOf(':');
        if (colon <= 0) return Optional.empty();
        String scheme = reference.substring(0, colon);
        return sources.stream().filter(s -> s.scheme().equals(scheme)).findFirst();
    }

    public ImageSource scheme(String scheme) {
        return sources.stream().filter(s -> s.scheme().equals(scheme)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no image source '" + scheme + "' (strata sources lists them)"));
    }
}
