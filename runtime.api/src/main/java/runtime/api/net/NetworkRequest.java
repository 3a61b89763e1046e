package runtime.api.net;

import java.nio.file.Path;
import java.util.List;

/**
 * What a container asks of its network.
 *
 * @param containerId    strata's id of the container, for names of sockets and logs
 * @param ports          port forwards, {@code [HOST_IP:]HOST_PORT:CONTAINER_PORT[/tcp|udp]}, as given
 * @param stateDirectory a private directory of this container on the host (short path, for sockets),
 *                       removed after the container ended; null when the container has none
 */
public record NetworkRequest(String containerId, List<String> ports, Path stateDirectory) {
    public NetworkRequest {
        ports = List.copyOf(ports);
    }

    public NetworkRequest(String containerId, List<String> ports) {
        this(containerId, ports, null);
    }
}
