package runtime.core.store;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Arrays;

import runtime.api.sys.ErrnoException;
import runtime.api.sys.Posix;

/**
 * How a layer directory records deletions, in the kernel overlay's own format so the kernel can use
 * layers as they are:
 * <ul>
 *   <li>a <b>whiteout</b> (a deleted file or directory) is a character device 0:0 with the deleted
 *   entry's name. Linux 5.8+ lets unprivileged users make exactly this device node.</li>
 *   <li>an <b>opaque directory</b> (its lower contents are hidden) carries the extended attribute
 *   {@code trusted.overlay.opaque=y} in a root store, {@code user.overlay.opaque=y} in a rootless one
 *   (overlay mounted with {@code userxattr} reads that namespace).</li>
 * </ul>
 * OCI layers' {@code .wh.NAME} and {@code .wh..wh..opq} entries are converted to this on import.
 */
public final class LayerFormat {
    public static final String OCI_WHITEOUT_PREFIX = ".wh.";
    public static final String OCI_OPAQUE = ".wh..wh..opq";
    private static final byte[] YES = {'y'};

    private LayerFormat() {}

    /** The opaque attribute's name for a store written by root or rootless. */
    public static String opaqueAttribute(boolean rootStore) {
        return rootStore ? "trusted.overlay.opaque" : "user.overlay.opaque";
    }

    /** Records the deletion of {@code path}'s name in its layer. */
    public static void whiteout(Path path) throws IOException {
        try {
            Posix.mknod(path.toString(), Posix.S_IFCHR, 0, 0);
        } catch (ErrnoException e) {
            throw new IOException("cannot make whiteout " + path + ": " + e.getMessage(), e);
        }
    }

    public static boolean isWhiteout(Path path) throws IOException {
        if (!Files.exists(path, LinkOption.NOFOLLOW_LINKS)) return false;
        int mode = (Integer) Files.getAttribute(path, "unix:mode", LinkOption.NOFOLLOW_LINKS);
        return (mode & 0170000) == Posix.S_IFCHR && (Long) Files.getAttribute(path, "unix:rdev", LinkOption.NOFOLLOW_LINKS) == 0;
    }

    /** Hides what lower layers have below {@code dir}. */
    public static void markOpaque(Path dir, boolean rootStore) throws IOException {
        try {
            Posix.setxattr(dir.toString(), opaqueAttribute(rootStore), YES);
        } catch (ErrnoException e) {
            throw new IOException("cannot mark " + dir + " opaque: " + e.getMessage(), e);
        }
    }

    public static boolean isOpaque(Path dir, boolean rootStore) throws IOException {
        try {
            byte[] v = Posix.getxattr(dir.toString(), opaqueAttribute(rootStore));
            return v != null && Arrays.equals(v, YES);
        } catch (ErrnoException e) {
            throw new IOException(e.getMessage(), e);
        }
    }
}
