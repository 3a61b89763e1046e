package runtime.core.store;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.stream.Stream;

/**
 * The mount points strata makes in a container's upper directory for its own binds (the host's
 * /etc/hosts, /etc/resolv.conf, /run/user, /tmp, homes ...): when the image lacks a target, the helper
 * creates an empty file or directory (and missing parents) for the bind to cover, and the overlay records
 * them in the upper, copying up the parents the image has. A layer made from that upper would credit them
 * to a step that never touched them. They are found by what strata made: an empty file or directory at a
 * target the image lacks, and the empty, non-opaque parents that are either new or a plain copy-up (same
 * mode and owner as in the image). The step cannot have written a target (the bind covered it), and
 * anything it wrote below a parent keeps that parent.
 */
public final class MountStubs {
    private MountStubs() {}

    /**
     * The stub paths (relative, children before parents) in {@code layerRoot} for {@code targets}
     * (absolute container paths), given the image below it ({@code lowers}, top-most first).
     */
    public static List<String> find(Path layerRoot, List<Path> lowers, Collection<String> targets, boolean rootStore)
            throws IOException {
        return scan(layerRoot, lowers, targets, rootStore, false);
    }

    /** Removes what {@link #find} finds; returns the removed paths. */
    public static List<String> remove(Path layerRoot, List<Path> lowers, Collection<String> targets, boolean rootStore)
            throws IOException {
        return scan(layerRoot, lowers, targets, rootStore, true);
    }

    /**
     * Whether a layer with {@code instruction} was made by running a command in an upper directory (a
     * build step, {@code strata create}, a source's configure step); only those can hold stubs. Imported
     * layers hold what their archive held and are left as they are.
     */
    public static boolean madeByRunning(String instruction) {
        return instruction != null && (instruction.startsWith("run ") || instruction.startsWith("create ")
                || instruction.startsWith("debian-configure "));
    }

    private static List<String> scan(Path layerRoot, List<Path> lowers, Collection<String> targets, boolean rootStore,
                                     boolean delete) throws IOException {
        List<String> stubs = new ArrayList<>();
        for (String target : targets) {
            String relative = target.replaceFirst("^/+", "");
            if (relative.isEmpty()) continue;
            Path path = Path.of(relative);
            boolean isTarget = true;
            while (path != null) {
                String name = path.toString();
                Path entry = layerRoot.resolve(name);
                if (!Files.exists(entry, LinkOption.NOFOLLOW_LINKS) || stubs.contains(name) && !delete) break;
                if (!isStubShape(entry, isTarget, stubs, name, rootStore)) break;
                if (!madeByStrata(entry, lowerEntry(lowers, name), isTarget)) break;
                stubs.add(name);
                if (delete) Files.delete(entry);
                path = path.getParent();
                isTarget = false;
            }
        }
        return stubs;
    }

    /** An empty file (targets only) or a directory that is empty, or holds only stubs, and is not opaque. */
    private static boolean isStubShape(Path entry, boolean isTarget, List<String> stubs, String name, boolean rootStore)
            throws IOException {
        if (Files.isRegularFile(entry, LinkOption.NOFOLLOW_LINKS)) return isTarget && Files.size(entry) == 0;
        if (!Files.isDirectory(entry, LinkOption.NOFOLLOW_LINKS)) return false;
        if (LayerFormat.isOpaque(entry, rootStore)) return false;
        try (Stream<Path> children = Files.list(entry)) {
            return children.allMatch(c -> stubs.contains(name + "/" + c.getFileName()));
        }
    }

    /** New where the image has nothing (or a whiteout); a parent may also be an unchanged copy-up. */
    private static boolean madeByStrata(Path entry, Path lower, boolean isTarget) throws IOException {
        if (lower == null) return true;
        if (isTarget || !Files.isDirectory(lower, LinkOption.NOFOLLOW_LINKS)) return false;
        for (String attribute : List.of("unix:mode", "unix:uid", "unix:gid")) {
            Object mine = Files.getAttribute(entry, attribute, LinkOption.NOFOLLOW_LINKS);
            Object theirs = Files.getAttribute(lower, attribute, LinkOption.NOFOLLOW_LINKS);
            if (!mine.equals(theirs)) return false;
        }
        return true;
    }

    /** The top-most entry for {@code name} below, or null when none (or a whiteout hides it). */
    private static Path lowerEntry(List<Path> lowers, String name) throws IOException {
        for (Path lower : lowers) {
            Path p = lower.resolve(name);
            if (LayerFormat.isWhiteout(p)) return null;
            if (Files.exists(p, LinkOption.NOFOLLOW_LINKS)) return p;
        }
        return null;
    }
}
