package runtime.api.net;

import runtime.api.Probe;
import runtime.api.ProbeContext;
import runtime.api.Spi;

/**
 * Gives a container its network. Found with {@link java.util.ServiceLoader}; same construction rules as
 * {@link runtime.api.fs.FilesystemDriver}. Built in: {@code host} (share the caller's network, plash's
 * default) and {@code none} (a new network namespace with only loopback).
 */
public interface NetworkDriver {
    /** The name used by {@code --net NAME}. */
    String name();

    /** One line for {@code strata drivers}. */
    String description();

    default int spiVersion() {
        return Spi.VERSION;
    }

    Probe probe(ProbeContext context);

    /** Prepares one container's network; strata closes the attachment when the container has ended. */
    NetworkAttachment attach(NetworkRequest request);
}
