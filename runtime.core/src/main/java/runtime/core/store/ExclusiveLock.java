package runtime.core.store;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;

/**
 * An exclusive lock on a file, across processes and across the threads of this one. The kernel's lock
 * (FileChannel.lock) only serialises processes: a second lock of the same file within one JVM throws
 * OverlappingFileLockException instead of waiting, which the per-user server, running many invocations in
 * one JVM, would hit on every concurrent identical build step. So threads queue on a permit per file first.
 */
public final class ExclusiveLock implements AutoCloseable {
    private static final ConcurrentHashMap<Path, Semaphore> PERMITS = new ConcurrentHashMap<>();

    private final Semaphore permit;
    private final FileChannel channel;
    private final FileLock lock;

    private ExclusiveLock(Semaphore permit, FileChannel channel, FileLock lock) {
        this.permit = permit;
        this.channel = channel;
        this.lock = lock;
    }

    /** Waits for the lock of {@code file} (created if missing). */
    public static ExclusiveLock acquire(Path file) throws IOException {
        Semaphore permit = PERMITS.computeIfAbsent(file.toAbsolutePath().normalize(), f -> new Semaphore(1));
        permit.acquireUninterruptibly();
        FileChannel channel = null;
        try {
            channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            return new ExclusiveLock(permit, channel, channel.lock());
        } catch (IOException | RuntimeException e) {
            if (channel != null) channel.close();
            permit.release();
            throw e;
        }
    }

    @Override
    public void close() throws IOException {
        try {
            lock.release();
            channel.close();
        } finally {
            permit.release();
        }
    }
}
