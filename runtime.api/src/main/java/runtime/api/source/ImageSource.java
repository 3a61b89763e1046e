package runtime.api.source;

import java.io.IOException;

import runtime.api.Spi;

/**
 * Brings images from somewhere (a registry, an image server, a file, a package archive) into strata's
 * store. Found with {@link java.util.ServiceLoader}; same construction rules as the drivers (public
 * no-argument constructor, no I/O until called).
 *
 * <p>{@code --from SCHEME:REFERENCE} (and {@code strata pull SCHEME:REFERENCE}) calls {@link #pull}
 * of the source whose {@link #scheme()} is SCHEME. A source must:
 * <ul>
 *   <li>verify what it downloads (digests, checksums) and fail with one clear line on a mismatch,
 *   keeping nothing;</li>
 *   <li>add layers only through {@link SourceContext#importLayer}, which unpacks safely and atomically;</li>
 *   <li>not fetch again what it fetched before: key its result with {@link SourceContext#remember} and
 *   check {@link SourceContext#recall} (and {@link SourceContext#hasLayer}) first.</li>
 * </ul>
 */
public interface ImageSource {
    /** What comes before the colon: {@code oci}, {@code lxc}, {@code tar}, ... */
    String scheme();

    /** One line for {@code strata sources}. */
    String description();

    default int spiVersion() {
        return Spi.VERSION;
    }

    /** Imports the image named by {@code reference} (the part after "SCHEME:") and returns its image id. */
    String pull(String reference, SourceContext context) throws IOException;
}
