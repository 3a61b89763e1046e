package runtime.core.containers;

import java.nio.file.Path;
import java.util.List;

/**
 * A running (or just ended) container as strata records it in its state directory.
 *
 * @param pid the helper's pid on the host (the relay of the container's pid namespace)
 */
public record ContainerRecord(String id, String name, String image, String network, long pid, String created,
                              List<String> command, Path directory) {
    public ContainerRecord {
        command = List.copyOf(command);
    }
}
