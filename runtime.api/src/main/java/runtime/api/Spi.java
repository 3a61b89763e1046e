package runtime.api;

/**
 * The version of the driver SPIs. A driver reports the version it was compiled against
 * ({@code spiVersion()}); strata refuses drivers whose major version differs, with a message naming them.
 */
public final class Spi {
    /** Bumped on every incompatible change to {@code runtime.api.fs}, {@code runtime.api.net} or {@code runtime.api.plan}. */
    public static final int VERSION = 1;

    private Spi() {}
}
