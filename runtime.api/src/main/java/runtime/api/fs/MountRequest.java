package runtime.api.fs;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * A union to mount: {@code layers} top-most first (as overlay's lowerdir wants them), an empty writable
 * {@code upper} directory and a {@code work} directory on the same filesystem as {@code upper}, and the
 * {@code target} to mount on. All paths are absolute and exist when the operations run.
 *
 * @param rootless true when the mount happens in a user namespace not owned by host root
 */
public record MountRequest(List<Path> layers, Path upper, Path work, Path target, boolean rootless) {
    public MountRequest {
        layers = List.copyOf(layers);
        Objects.requireNonNull(upper, "upper");
        Objects.requireNonNull(work, "work");
        Objects.requireNonNull(target, "target");
        if (layers.isEmpty()) {
            throw new IllegalArgumentException("a union needs at least one layer");
        }
    }
}
