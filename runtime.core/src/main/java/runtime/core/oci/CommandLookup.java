package runtime.core.oci;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * Finds a process's command in a root filesystem before the container is made, the way execvp will
 * inside it (the PATH of the process's environment, symlinks resolved as if the root were /), so that
 * {@code create} fails with runc's message for a missing command ({@code exec: "x": executable file not
 * found in $PATH}, which podman turns into exit status 127) instead of a container that cannot start.
 */
final class CommandLookup {
    private static final String DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
    private static final int MAX_LINKS = 40;

    private CommandLookup() {}

    /**
     * Checks the spec's command unless a mount could provide it (podman's --init binds its init program
     * in): only a command that is certainly missing fails.
     */
    static void check(OciSpec spec) {
        String command = spec.process().args().getFirst();
        boolean mountMayProvide = spec.mounts().stream().map(OciSpec.Mount::destination)
                .anyMatch(d -> !command.contains("/") || command.equals(d) || command.startsWith(d.endsWith("/") ? d : d + "/"));
        if (command.contains("/") ? mountMayProvide : spec.mounts().stream().anyMatch(m -> isPathDirectory(m.destination(), spec))) return;
        check(spec.rootPath(), command, spec.process().env());
    }

    private static boolean isPathDirectory(String destination, OciSpec spec) {
        String path = spec.process().env().stream().filter(e -> e.startsWith("PATH=")).map(e -> e.substring(5)).reduce((a, b) -> b)
                .orElse(DEFAULT_PATH);
        for (String dir : path.split(":")) {
            if (dir.equals(destination) || dir.startsWith(destination.endsWith("/") ? destination : destination + "/")) return true;
        }
        return false;
    }

    /** Throws IllegalArgumentException with runc's wording when {@code command} is not found. */
    static void check(Path rootfs, String command, List<String> env) {
        if (command.contains("/")) {
            String absolute = command.startsWith("/") ? command : "/" + command;
            if (resolve(rootfs, absolute).isEmpty()) {
                throw new IllegalArgumentException("exec: \"" + command + "\": stat " + command + ": no such file or directory");
            }
            return;
        }
        String path = env.stream().filter(e -> e.startsWith("PATH=")).map(e -> e.substring(5)).reduce((a, b) -> b).orElse(DEFAULT_PATH);
        for (String dir : path.split(":")) {
            if (dir.isEmpty()) continue;
            Optional<Path> found = resolve(rootfs, (dir.startsWith("/") ? dir : "/" + dir) + "/" + command);
            if (found.isPresent() && Files.isRegularFile(found.get())) return;
        }
        throw new IllegalArgumentException("exec: \"" + command + "\": executable file not found in $PATH");
    }

    /** {@code path} (absolute inside the root) with every symlink followed inside {@code rootfs}; empty if it does not exist. */
    static Optional<Path> resolve(Path rootfs, String path) {
        Path current = rootfs;
        java.util.ArrayDeque<String> parts = new java.util.ArrayDeque<>(List.of(path.split("/")));
        int links = 0;
        while (!parts.isEmpty()) {
            String part = parts.pollFirst();
            if (part.isEmpty() || part.equals(".")) continue;
            if (part.equals("..")) {
                if (!current.equals(rootfs)) current = current.getParent();
                continue;
            }
            Path next = current.resolve(part);
            if (Files.isSymbolicLink(next)) {
                if (++links > MAX_LINKS) return Optional.empty();
                String target;
                try {
                    target = Files.readSymbolicLink(next).toString();
                } catch (IOException e) {
                    return Optional.empty();
                }
                List<String> rest = List.of(target.split("/"));
                for (int i = rest.size() - 1; i >= 0; i--) parts.addFirst(rest.get(i));
                if (target.startsWith("/")) current = rootfs;
                continue;
            }
            if (!Files.exists(next, LinkOption.NOFOLLOW_LINKS)) return Optional.empty();
            current = next;
        }
        return Optional.of(current);
    }
}
