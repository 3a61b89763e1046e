package runtime.api.net;

import java.util.List;

/**
 * What a container asks of its network.
 *
 * @param containerId strata's id of the container, for names of sockets and logs
 * @param ports       port forwards, {@code [HOST_IP:]HOST_PORT:CONTAINER_PORT[/tcp|udp]}, as given
 */
public record NetworkRequest(String containerId, List<String> ports) {
    public NetworkRequest {
        ports = List.copyOf(ports);
    }
}
