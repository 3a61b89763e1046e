package runtime.core.store;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Reads a stream on a thread of its own, a bounded number of chunks ahead of the consumer. An import
 * reads, hashes and decompresses the archive on this thread while the extractor writes files on the
 * caller's, as {@code tar -xz} runs gzip beside tar: on two cores the two halves overlap.
 *
 * <p>The reader stays at most {@link #CHUNKS} chunks ahead, so a decompression bomb still expands only
 * as fast as the extractor (and its limits) accept it, and {@link #close} stops the reader and waits
 * for it: after that the underlying stream is the caller's alone again.
 */
final class ReadAhead extends InputStream {
    static final int CHUNK = 1 << 16;
    static final int CHUNKS = 16;
    private static final Object END = new Object();

    private final InputStream source;
    private final BlockingQueue<Object> queue = new ArrayBlockingQueue<>(CHUNKS);
    private final Thread reader;
    private volatile boolean stopped;
    private byte[] current = new byte[0];
    private int position;
    private int limit;
    private boolean ended;

    ReadAhead(InputStream source) {
        this.source = source;
        reader = Thread.ofPlatform().name("strata-read-ahead").daemon().start(this::fill);
    }

    private void fill() {
        try {
            while (!stopped) {
                byte[] chunk = new byte[CHUNK];
                // One read, not readNBytes: a slow pipe must not hold the reader (and close) for a full chunk.
                int n = source.read(chunk, 0, CHUNK);
                if (n < 0) {
                    hand(END);
                    return;
                }
                if (n > 0 && !hand(new Chunk(chunk, n))) return;
            }
        } catch (Throwable t) {
            hand(t);
        }
    }

    /** Queues an item, giving up when the consumer has closed the stream; false then. */
    private boolean hand(Object item) {
        try {
            while (!stopped) {
                if (queue.offer(item, 20, TimeUnit.MILLISECONDS)) return true;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return false;
    }

    private record Chunk(byte[] data, int length) {}

    /** Makes the next chunk current; false at the end of the stream. */
    private boolean advance() throws IOException {
        if (ended) return false;
        Object item;
        try {
            item = queue.take();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while reading the archive");
        }
        if (item == END) {
            ended = true;
            return false;
        }
        if (item instanceof Throwable t) {
            ended = true;
            if (t instanceof IOException e) throw e;
            if (t instanceof RuntimeException e) throw e;
            if (t instanceof Error e) throw e;
            throw new IOException(t);
        }
        Chunk chunk = (Chunk) item;
        current = chunk.data();
        position = 0;
        limit = chunk.length();
        return true;
    }

    @Override
    public int read() throws IOException {
        if (position == limit && !advance()) return -1;
        return current[position++] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        java.util.Objects.checkFromIndexSize(off, len, b.length);
        if (len == 0) return 0;
        if (position == limit && !advance()) return -1;
        int n = Math.min(len, limit - position);
        System.arraycopy(current, position, b, off, n);
        position += n;
        return n;
    }

    @Override
    public int available() {
        return limit - position;
    }

    /** Stops the reader and waits for it; the source itself is left open (its owner closes it). */
    @Override
    public void close() throws IOException {
        if (stopped) return;
        stopped = true;
        queue.clear();
        try {
            reader.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while stopping the archive reader");
        }
        queue.clear();
    }
}
