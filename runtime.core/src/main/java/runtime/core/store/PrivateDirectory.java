package runtime.core.store;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;

import runtime.api.sys.Posix;

/**
 * A directory only its owner can change: where strata keeps state, sockets and locks (the runtime
 * directory of isolated containers and the daemon, the OCI state root). Without XDG_RUNTIME_DIR (su,
 * runuser, cron) these fall back to names in /tmp that any user could make first, as a symlink to a
 * victim's directory (whose files `strata ps` would then delete as stale) or holding a forged
 * config.json (whose hooks strata would run). So such a directory is made 0700 by strata, and one that
 * exists is used only if it is a real directory (never a symlink: looked at without following it)
 * owned by the caller and writable by nobody else; otherwise strata refuses with one line. Once it is
 * the caller's, nobody else can swap it: its parent is checked too (writable by others only if sticky,
 * as /tmp is, where only an entry's owner may rename or remove it).
 */
public final class PrivateDirectory {
    private static final int S_IFMT = 0170000, S_IFDIR = 0040000, S_IFLNK = 0120000, STICKY = 01000, WRITABLE_BY_OTHERS = 0022;

    private PrivateDirectory() {}

    /**
     * Makes {@code dir} (0700; missing parents as usual) or checks the one there; returns it. A directory that
     * is a symlink, not a directory, another user's, or writable by others is refused with an
     * IllegalStateException whose message names it and says what to do.
     */
    public static Path ensure(Path dir) {
        try {
            Path parent = dir.toAbsolutePath().getParent();
            if (parent != null && !Files.isDirectory(parent)) Files.createDirectories(parent);
            Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        } catch (FileAlreadyExistsException e) {
            // checked below, as any that was there
        } catch (IOException e) {
            throw new IllegalStateException("cannot make " + dir + ": " + (e.getMessage() == null ? e : e.getMessage()));
        }
        check(dir);
        return dir;
    }

    /**
     * As {@link #ensure}, and refused too when group or others may enter or list it (any of 077): for the
     * directory of the server's socket, which the native front (strata-front.c, connect_server) checks the
     * same way before it connects.
     */
    public static Path ensureClosed(Path dir) {
        ensure(dir);
        int mode = (Integer) lstat(dir).get("mode");
        if ((mode & 077) != 0) {
            throw new IllegalStateException(dir + " is open to other users (mode " + Integer.toOctalString(mode & 07777)
                    + "); chmod 0700 it, remove it, or set XDG_RUNTIME_DIR to a directory of your own");
        }
        return dir;
    }

    /**
     * Makes {@code dir} (with its parents) or takes the one there, and leaves it 0700: for trees whose files
     * come from images or containers (the store's layers and staging directories, a --persist directory,
     * export-dir's copy), which may hold setuid files and device nodes that nobody else may reach.
     */
    public static Path restrict(Path dir) {
        try {
            Files.createDirectories(dir);
            if ((Files.readAttributes(dir, "unix:mode").get("mode") instanceof Integer mode) && (mode & 077) != 0) {
                Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
            }
            return dir;
        } catch (IOException e) {
            throw new IllegalStateException("cannot make " + dir + " private (mode 0700): " + (e.getMessage() == null ? e : e.getMessage()));
        }
    }

    private static void check(Path dir) {
        String fix = "; remove it, or set XDG_RUNTIME_DIR to a directory of your own";
        Map<String, Object> attributes = lstat(dir);
        int mode = (Integer) attributes.get("mode"), owner = (Integer) attributes.get("uid"), caller = Posix.geteuid();
        if ((mode & S_IFMT) == S_IFLNK) throw new IllegalStateException(dir + " is a symbolic link, not strata's private directory" + fix);
        if ((mode & S_IFMT) != S_IFDIR) throw new IllegalStateException(dir + " is not a directory" + fix);
        if (owner != caller) {
            throw new IllegalStateException(dir + " belongs to uid " + owner + ", not to you (uid " + caller + "): another user may have made it" + fix);
        }
        if ((mode & WRITABLE_BY_OTHERS) != 0) {
            throw new IllegalStateException(dir + " is writable by other users (mode " + Integer.toOctalString(mode & 07777) + ")" + fix);
        }
        Path parent = dir.toAbsolutePath().getParent();
        if (parent == null) return;
        int above = (Integer) lstat(parent).get("mode");
        if ((above & WRITABLE_BY_OTHERS) != 0 && (above & STICKY) == 0) {
            throw new IllegalStateException(dir + " is in " + parent + ", which other users may write to without the sticky bit"
                    + " (they could replace it)" + fix);
        }
    }

    /** The file's mode (type bits included) and owner, without following a symlink. */
    private static Map<String, Object> lstat(Path p) {
        try {
            return Files.readAttributes(p, "unix:mode,uid", LinkOption.NOFOLLOW_LINKS);
        } catch (IOException e) {
            throw new IllegalStateException("cannot look at " + p + ": " + (e.getMessage() == null ? e : e.getMessage()));
        }
    }
}
