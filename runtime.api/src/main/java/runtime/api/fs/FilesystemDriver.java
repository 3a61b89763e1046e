package runtime.api.fs;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

import runtime.api.Probe;
import runtime.api.ProbeContext;
import runtime.api.Spi;
import runtime.api.plan.SetupOp;

/**
 * Puts a union of read-only layers and one writable directory at a mount point.
 *
 * <p>Contract, in the manner of {@code java.nio.file.spi}:
 * <ul>
 *   <li>Implementations are found with {@link java.util.ServiceLoader}; they need a public no-argument
 *   constructor and must be cheap to construct (no I/O, no processes).</li>
 *   <li>{@link #probe} says whether the driver works here; it may try setup operations for real through
 *   the {@link ProbeContext}. strata calls it before choosing a driver automatically.</li>
 *   <li>{@link #mount} does not mount anything itself: it returns the operations that the native helper
 *   runs inside the container's user and mount namespaces, before {@code pivot_root}. A mount made there
 *   disappears with the namespace, so no cleanup is needed when the container ends; a FUSE daemon
 *   is started with {@link SetupOp.StartFuse}, which ends it with the container.</li>
 *   <li>Layer directories hold the store's layer format: overlay-style whiteouts (a character device
 *   0:0 named like the deleted entry) and opaque directories (xattr {@code trusted.overlay.opaque=y},
 *   or {@code user.overlay.opaque=y} in a store written rootless).</li>
 * </ul>
 */
public interface FilesystemDriver {
    /** A short unique name used by {@code --fs NAME}, e.g. {@code overlay}. */
    String name();

    /** One line for {@code strata drivers}. */
    String description();

    /** Order of automatic selection: lower is tried first. Built-ins use 100, 200, 300. */
    default int priority() {
        return 1000;
    }

    /** The SPI version this driver was built against; see {@link Spi#VERSION}. */
    default int spiVersion() {
        return Spi.VERSION;
    }

    /** Whether the driver can work on this machine for this caller, and why not. */
    Probe probe(ProbeContext context);

    /** The setup operations that mount {@code request}'s union at its target. */
    List<SetupOp> mount(MountRequest request);

    /**
     * Converts what this driver wrote into a writable {@code upper} directory to the store's layer format,
     * after the container has ended and before the directory becomes a layer (a build step, {@code create}).
     * Drivers that record deletions their own way (fuse-overlayfs's {@code .wh.} files and
     * {@code user.fuseoverlayfs.opaque}, unionfs-fuse's {@code .unionfs-fuse/*_HIDDEN~}) rewrite them as
     * whiteout devices and opaque attributes here, so a layer reads the same through every driver.
     * The default does nothing: the kernel overlay already writes the store's format.
     *
     * @param layers    the layers the container saw, top-most first (to copy a parent directory's
     *                  attributes when a deletion must be recorded below a directory the upper lacks)
     * @param rootStore whether the store is root's ({@code trusted.overlay.opaque}) or rootless
     *                  ({@code user.overlay.opaque})
     */
    default void normalizeUpper(Path upper, List<Path> layers, boolean rootStore) throws IOException {
    }
}
