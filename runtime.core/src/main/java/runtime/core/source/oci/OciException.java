package runtime.core.source.oci;

/**
 * A user-facing failure of an OCI pull, push or export: the message is one line. It is an
 * IllegalStateException so that the command line prints the message alone ({@code strata: ...}).
 */
public final class OciException extends IllegalStateException {
    public OciException(String message) {
        super(message);
    }

    public OciException(String message, Throwable cause) {
        super(message, cause);
    }
}
