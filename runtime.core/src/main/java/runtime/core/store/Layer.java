package runtime.core.store;

import java.nio.file.Path;
import java.util.Optional;

/**
 * An immutable layer of the store: a directory {@code root} with the files of this step, and the id of
 * the layer below it (none for a base layer). An image is named by its top layer.
 */
public record Layer(String id, Optional<String> parent, Path directory) {
    public Path root() {
        return directory.resolve("root");
    }

    public String shortId() {
        return id.substring(0, 12);
    }
}
