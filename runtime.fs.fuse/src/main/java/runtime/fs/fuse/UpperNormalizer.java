package runtime.fs.fuse;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

import runtime.api.sys.ErrnoException;
import runtime.api.sys.Posix;

/**
 * Rewrites what a FUSE driver recorded in a writable upper directory into the store's layer format:
 * whiteouts are character devices 0:0, opaque directories carry {@code trusted.overlay.opaque=y} (root
 * store) or {@code user.overlay.opaque=y} (rootless store), and no driver metadata remains.
 */
final class UpperNormalizer {
    static final String OCI_OPAQUE = ".wh..wh..opq";
    static final String WHITEOUT_PREFIX = ".wh.";
    /** fuse-overlayfs's own opaque attribute, written when trusted.* is refused (rootless). */
    static final String FUSE_OVERLAYFS_OPAQUE = "user.fuseoverlayfs.opaque";
    private static final byte[] YES = {'y'};

    private UpperNormalizer() {}

    static String opaqueAttribute(boolean rootStore) {
        return rootStore ? "trusted.overlay.opaque" : "user.overlay.opaque";
    }

    /**
     * fuse-overlayfs writes whiteout devices where it can, else {@code .wh.NAME} files; an opaque
     * directory gets {@code trusted.overlay.opaque} or {@code user.fuseoverlayfs.opaque}, plus a
     * {@code .wh..wh..opq} file and (rootless) a whiteout named {@code .wh..opq}.
     */
    static void fromFuseOverlayfs(Path upper, boolean rootStore) throws IOException {
        List<Path> dirs = new ArrayList<>();
        Files.walkFileTree(upper, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
                dirs.add(dir);
                return FileVisitResult.CONTINUE;
            }
        });
        for (Path dir : dirs) {
            boolean opaque = false;
            List<Path> entries;
            try (Stream<Path> s = Files.list(dir)) {
                entries = s.toList();
            }
            for (Path entry : entries) {
                String name = entry.getFileName().toString();
                if (name.equals(OCI_OPAQUE)) {
                    opaque = true;
                    Files.delete(entry);
                } else if (name.equals(".wh..opq") && LayerMarkers.isWhiteout(entry)) {
                    Files.delete(entry);
                } else if (name.startsWith(WHITEOUT_PREFIX) && Files.isRegularFile(entry, LinkOption.NOFOLLOW_LINKS)) {
                    Path deleted = dir.resolve(name.substring(WHITEOUT_PREFIX.length()));
                    Files.delete(entry);
                    if (!Files.exists(deleted, LinkOption.NOFOLLOW_LINKS)) whiteout(deleted);
                }
            }
            if (dir.equals(upper)) continue;
            byte[] own = get(dir, FUSE_OVERLAYFS_OPAQUE);
            if (own != null) {
                opaque |= own.length == 1 && own[0] == 'y';
                remove(dir, FUSE_OVERLAYFS_OPAQUE);
            }
            if (opaque) markOpaque(dir, rootStore);
        }
    }

    /**
     * unionfs-fuse records the deletion of {@code P/N} as {@code .unionfs-fuse/P/N_HIDDEN~} (a file, or a
     * directory for a deleted directory) in the writable branch. A marker whose path is gone from the
     * upper becomes a whiteout; a marker whose path is a directory in the upper means the directory was
     * deleted and made again (unionfs-fuse keeps the marker on mkdir), so it becomes opaque.
     * Files the kernel's FUSE layer renamed to {@code .fuse_hidden*} (open when deleted) are dropped.
     */
    static void fromUnionfsFuse(Path upper, List<Path> layers, boolean rootStore) throws IOException {
        Path meta = upper.resolve(UnionfsFuseDriver.META);
        if (Files.isDirectory(meta, LinkOption.NOFOLLOW_LINKS)) {
            convertMarkers(meta, meta, upper, layers, rootStore);
            deleteTree(meta);
        }
        List<Path> leftovers = new ArrayList<>();
        Files.walkFileTree(upper, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                if (file.getFileName().toString().startsWith(".fuse_hidden")) leftovers.add(file);
                return FileVisitResult.CONTINUE;
            }
        });
        for (Path p : leftovers) Files.deleteIfExists(p);
    }

    /** Parents before children, so a whiteout made for a directory makes the markers below it moot. */
    private static void convertMarkers(Path metaDir, Path meta, Path upper, List<Path> layers, boolean rootStore)
            throws IOException {
        List<Path> entries = new ArrayList<>();
        try (DirectoryStream<Path> s = Files.newDirectoryStream(metaDir)) {
            s.forEach(entries::add);
        }
        // Markers of this directory first, then the directories of markers below it: "d_HIDDEN~" must
        // become a whiteout before the markers of d's former children are looked at (they are then moot).
        entries.sort(Comparator.comparing((Path p) -> !p.getFileName().toString().endsWith(UnionfsFuseDriver.HIDDEN))
                .thenComparing(Path::toString));
        for (Path entry : entries) {
            String name = entry.getFileName().toString();
            if (name.endsWith(UnionfsFuseDriver.HIDDEN)) {
                String rel = meta.relativize(entry).toString();
                rel = rel.substring(0, rel.length() - UnionfsFuseDriver.HIDDEN.length());
                Path target = upper.resolve(rel);
                if (underWhiteout(upper, target)) continue;
                if (Files.isDirectory(target, LinkOption.NOFOLLOW_LINKS)) {
                    markOpaque(target, rootStore);
                } else if (!Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
                    makeParents(upper, target.getParent(), layers);
                    whiteout(target);
                }
            } else if (Files.isDirectory(entry, LinkOption.NOFOLLOW_LINKS)) {
                convertMarkers(entry, meta, upper, layers, rootStore);
            }
        }
    }

    private static boolean underWhiteout(Path upper, Path target) throws IOException {
        for (Path p = target.getParent(); p != null && p.startsWith(upper) && !p.equals(upper); p = p.getParent()) {
            if (Files.exists(p, LinkOption.NOFOLLOW_LINKS) && LayerMarkers.isWhiteout(p)) return true;
        }
        return false;
    }

    /**
     * unionfs-fuse records a deletion without copying the parent directory up, so the layer may lack it:
     * make it with the attributes of the top-most layer that has it, as overlay's copy-up would.
     */
    private static void makeParents(Path upper, Path dir, List<Path> layers) throws IOException {
        if (dir.equals(upper) || Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) return;
        makeParents(upper, dir.getParent(), layers);
        Files.createDirectory(dir);
        String rel = upper.relativize(dir).toString();
        for (Path layer : layers) {
            Path source = layer.resolve(rel);
            if (!Files.isDirectory(source, LinkOption.NOFOLLOW_LINKS)) continue;
            int mode = (Integer) Files.getAttribute(source, "unix:mode", LinkOption.NOFOLLOW_LINKS);
            try {
                Files.setAttribute(dir, "unix:uid", Files.getAttribute(source, "unix:uid", LinkOption.NOFOLLOW_LINKS));
                Files.setAttribute(dir, "unix:gid", Files.getAttribute(source, "unix:gid", LinkOption.NOFOLLOW_LINKS));
            } catch (IOException e) {
                // rootless, a directory of another mapped id cannot be given away from the host: it keeps
                // the caller's (container root's) ownership
            }
            try {
                Posix.chmod(dir.toString(), mode & 07777);
            } catch (ErrnoException e) {
                throw new IOException(e.getMessage(), e);
            }
            Files.setLastModifiedTime(dir, (FileTime) Files.getAttribute(source, "lastModifiedTime", LinkOption.NOFOLLOW_LINKS));
            return;
        }
    }

    static void whiteout(Path path) throws IOException {
        try {
            Posix.mknod(path.toString(), Posix.S_IFCHR, 0, 0);
        } catch (ErrnoException e) {
            throw new IOException("cannot make whiteout " + path + ": " + e.getMessage(), e);
        }
    }

    static void markOpaque(Path dir, boolean rootStore) throws IOException {
        try {
            Posix.setxattr(dir.toString(), opaqueAttribute(rootStore), YES);
        } catch (ErrnoException e) {
            throw new IOException("cannot mark " + dir + " opaque: " + e.getMessage(), e);
        }
    }

    private static byte[] get(Path path, String name) throws IOException {
        try {
            return Posix.getxattr(path.toString(), name);
        } catch (ErrnoException e) {
            throw new IOException(e.getMessage(), e);
        }
    }

    private static void remove(Path path, String name) throws IOException {
        try {
            Posix.removexattr(path.toString(), name);
        } catch (ErrnoException e) {
            throw new IOException(e.getMessage(), e);
        }
    }

    private static void deleteTree(Path root) throws IOException {
        Files.walkFileTree(root, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Files.delete(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path dir, IOException exc) throws IOException {
                if (exc != null) throw exc;
                Files.delete(dir);
                return FileVisitResult.CONTINUE;
            }
        });
    }
}
