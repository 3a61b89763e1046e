package runtime.core.store;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Directories under {@code DATA/tmp} that a running strata process works in (staging layers, layers
 * being removed, probe scratch). Each has a sibling {@code NAME.lock} that its creator holds locked
 * ({@link FileChannel#lock}) for as long as it uses the directory. The kernel drops the lock when the
 * process dies, however it dies, so {@code strata clean} can tell a leftover from work in progress
 * without guessing from ages or pids.
 *
 * <p>The lock file is made and locked before the directory, so there is no moment in which the
 * directory exists unlocked.
 */
public final class TmpDirectories {
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final Map<Path, Held> HELD = new ConcurrentHashMap<>();

    private record Held(FileChannel channel, FileLock lock) {}

    private TmpDirectories() {}

    public static Path lockFile(Path dir) {
        return dir.resolveSibling(dir.getFileName() + ".lock");
    }

    /** Creates {@code tmp/PREFIX-RANDOM} and holds its lock until {@link #release}. */
    public static Path create(Path tmp, String prefix) throws IOException {
        PrivateDirectory.restrict(tmp); // layers are made here: their setuid files and devices are nobody else's
        while (true) {
            byte[] bytes = new byte[8];
            RANDOM.nextBytes(bytes);
            Path dir = tmp.resolve(prefix + HexFormat.of().formatHex(bytes));
            Path lockFile = lockFile(dir);
            FileChannel channel;
            try {
                channel = FileChannel.open(lockFile, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
            } catch (FileAlreadyExistsException e) {
                continue;
            }
            try {
                HELD.put(dir, new Held(channel, channel.lock()));
                Files.createDirectory(dir);
                return dir;
            } catch (IOException | RuntimeException e) {
                release(dir);
                throw e;
            }
        }
    }

    /**
     * Takes the lock for an existing directory that was just renamed into tmp (e.g. a layer being
     * removed), so that a concurrent clean leaves it to us.
     */
    public static Path reserve(Path tmp, String prefix) throws IOException {
        Path dir = create(tmp, prefix);
        Files.delete(dir); // the caller renames its directory to this free, locked name
        return dir;
    }

    /** Drops the lock and its file (the directory itself is the caller's business). */
    public static void release(Path dir) {
        Held held = HELD.remove(dir);
        try {
            Files.deleteIfExists(lockFile(dir));
        } catch (IOException e) {
            // a stray lock file is harmless: clean removes it
        }
        if (held != null) {
            try {
                held.channel().close(); // closing releases the lock
            } catch (IOException e) {
                // nothing left to do
            }
        }
    }

    /**
     * Whether a live process holds the lock of {@code dir} (this one included). No lock file means
     * nobody does.
     */
    public static boolean inUse(Path dir) {
        if (HELD.containsKey(dir)) return true;
        try (FileChannel channel = FileChannel.open(lockFile(dir), StandardOpenOption.WRITE)) {
            FileLock lock = channel.tryLock();
            if (lock == null) return true;
            lock.release();
            return false;
        } catch (NoSuchFileException e) {
            return false;
        } catch (OverlappingFileLockException e) {
            return true;
        } catch (IOException e) {
            // cannot even open it (another user's): treat as busy rather than delete someone's work
            return true;
        }
    }
}
