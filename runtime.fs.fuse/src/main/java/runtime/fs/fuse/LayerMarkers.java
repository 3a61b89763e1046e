package runtime.fs.fuse;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;

import runtime.api.sys.ErrnoException;
import runtime.api.sys.Posix;

/**
 * The whiteouts and opaque directories of one layer in the store's format, as paths relative to the
 * layer root. Layers are immutable, so the scan of a store layer is cached in a file beside its root
 * ({@code DATA/layers/ID/unionfs-markers}); a directory that is not a store layer is scanned each time.
 */
record LayerMarkers(List<String> whiteouts, List<String> opaques) {
    static final String CACHE = "unionfs-markers";
    private static final String[] OPAQUE_ATTRIBUTES = {"trusted.overlay.opaque", "user.overlay.opaque"};

    static LayerMarkers of(Path layerRoot) {
        Path cache = layerRoot.resolveSibling(CACHE);
        boolean storeLayer = Files.exists(layerRoot.resolveSibling("layer.json"));
        if (storeLayer) {
            try {
                return decode(Files.readString(cache, StandardCharsets.UTF_8));
            } catch (IOException | RuntimeException notCached) {
                // scan below
            }
        }
        LayerMarkers scanned = scan(layerRoot);
        if (storeLayer) {
            try {
                Path tmp = Files.createTempFile(layerRoot.getParent(), CACHE, ".tmp");
                Files.writeString(tmp, scanned.encode(), StandardCharsets.UTF_8);
                Files.move(tmp, cache, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (IOException e) {
                // a store we may not write (another user's): scanning each time is only slower
            }
        }
        return scanned;
    }

    static LayerMarkers scan(Path layerRoot) {
        List<String> whiteouts = new ArrayList<>();
        List<String> opaques = new ArrayList<>();
        if (!Files.isDirectory(layerRoot, LinkOption.NOFOLLOW_LINKS)) return new LayerMarkers(whiteouts, opaques);
        try {
            Files.walkFileTree(layerRoot, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
                    if (!dir.equals(layerRoot) && isOpaque(dir)) opaques.add(layerRoot.relativize(dir).toString());
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                    if (attrs.isOther() && isWhiteout(file)) whiteouts.add(layerRoot.relativize(file).toString());
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFileFailed(Path file, IOException exc) throws IOException {
                    if (exc instanceof NoSuchFileException) return FileVisitResult.CONTINUE;
                    throw exc;
                }
            });
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("cannot read layer " + layerRoot + " for unionfs-fuse", e);
        }
        return new LayerMarkers(whiteouts, opaques);
    }

    static boolean isWhiteout(Path file) throws IOException {
        int mode = (Integer) Files.getAttribute(file, "unix:mode", LinkOption.NOFOLLOW_LINKS);
        return (mode & 0170000) == Posix.S_IFCHR && (Long) Files.getAttribute(file, "unix:rdev", LinkOption.NOFOLLOW_LINKS) == 0;
    }

    static boolean isOpaque(Path dir) {
        for (String name : OPAQUE_ATTRIBUTES) {
            try {
                byte[] v = Posix.getxattr(dir.toString(), name);
                if (v != null && v.length == 1 && v[0] == 'y') return true;
            } catch (ErrnoException e) {
                // trusted.* is unreadable rootless: such a store is not the caller's anyway
            }
        }
        return false;
    }

    /** NUL-separated: file names may hold newlines. */
    String encode() {
        StringBuilder b = new StringBuilder();
        for (String w : whiteouts) b.append('w').append(w).append('\0');
        for (String o : opaques) b.append('o').append(o).append('\0');
        return b.toString();
    }

    static LayerMarkers decode(String text) {
        List<String> whiteouts = new ArrayList<>();
        List<String> opaques = new ArrayList<>();
        for (String entry : text.split("\0")) {
            if (entry.isEmpty()) continue;
            (entry.charAt(0) == 'w' ? whiteouts : opaques).add(entry.substring(1));
        }
        return new LayerMarkers(whiteouts, opaques);
    }
}
