package runtime.api.source;

import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpClient;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** What strata offers an {@link ImageSource} while it pulls. */
public interface SourceContext {
    /** The image id an earlier pull remembered under {@code key} (still present in the store), if any. */
    Optional<String> recall(String key);

    /** Remembers that {@code key} (e.g. a reference with its manifest digest) names {@code imageId}. */
    void remember(String key, String imageId) throws IOException;

    /**
     * True when the layer that {@link #importLayer} would make for {@code parent} and {@code instruction}
     * exists already (then it need not be downloaded).
     */
    boolean hasLayer(Optional<String> parent, String instruction);

    /**
     * Unpacks a tar stream (gzip, xz, zstd, bzip2 or plain) as a new layer on {@code parent} and returns
     * its id, which derives from parent and instruction alone (so use an instruction that names the
     * content, like {@code "oci-layer sha256:..."}, and equal layers are shared). Entries cannot escape the
     * layer, OCI whiteouts are converted, and the layer appears atomically or not at all. If the layer
     * exists already, the stream is not read.
     */
    String importLayer(Optional<String> parent, String instruction, InputStream tar) throws IOException;

    /** Adds an (empty) layer carrying {@code config} on top of {@code imageId} and returns its id. */
    String configure(String imageId, RunConfig config) throws IOException;

    /**
     * Runs {@code argv} as root in an isolated container on {@code imageId} (no network, its own pid
     * namespace and /proc, no host home, a user namespace even when strata runs as root: the code run is
     * the archive's, not trusted with the host) and keeps its changes as a new layer keyed by
     * {@code instruction}; a non-zero exit is an error.
     * For sources that must finish an image by running its own tools (dpkg --configure).
     */
    String runAndCommit(String imageId, List<String> argv, String instruction) throws IOException;

    /** A shared HTTP client (HTTP/2 when offered, redirects followed). */
    HttpClient http();

    /** A progress line on stderr when it is a terminal (bytes, rate); silent otherwise. */
    Progress progress(String label, long totalBytes);

    /** A scratch directory for downloads, removed after the pull. */
    Path scratch() throws IOException;

    /** strata's environment, for settings such as registry credentials and mirrors. */
    Map<String, String> environment();

    /**
     * The caller's working directory: a relative path in a reference ({@code tar:rootfs.tar},
     * {@code dir:./tree}) means this, never the JVM's own (one JVM serves many callers).
     */
    Path workingDirectory();

    /** A one-line note for the caller, printed on its standard error as {@code strata: MESSAGE}. */
    void warn(String message);

    /** True when the store is a user's, unpacked without root. */
    boolean rootless();

    /** Progress of one download or unpack. */
    interface Progress extends AutoCloseable {
        void advance(long bytes);

        @Override
        void close();
    }
}
