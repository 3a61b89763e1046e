package runtime.api.net;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

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

    /**
     * The port forwards of a running container attached by this driver, controlled from any strata
     * process ({@code strata port add|rm|ls}), found through the container's state directory. Empty
     * for networks without forwards.
     */
    default Optional<PortControl> portControl(Path stateDirectory) {
        return Optional.empty();
    }

    /** Adds, removes and lists port forwards ({@code [HOST_IP:]HOST_PORT:CONTAINER_PORT[/tcp|udp]}). */
    interface PortControl {
        void add(String spec) throws java.io.IOException;

        void remove(String spec) throws java.io.IOException;

        List<String> list() throws java.io.IOException;
    }
}
