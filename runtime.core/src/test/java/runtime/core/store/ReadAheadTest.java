package runtime.core.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;

class ReadAheadTest {
    @Test
    void passesTheBytesThroughUnchanged() throws Exception {
        byte[] data = new byte[ReadAhead.CHUNK * 5 + 123];
        new Random(1).nextBytes(data);
        for (int size : new int[] {1, 512, 70_000}) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            try (ReadAhead in = new ReadAhead(new ByteArrayInputStream(data))) {
                byte[] buffer = new byte[size];
                int n;
                while ((n = size == 1 ? single(in, buffer) : in.read(buffer)) >= 0) out.write(buffer, 0, n);
            }
            assertArrayEquals(data, out.toByteArray(), "reads of " + size);
        }
    }

    private static int single(InputStream in, byte[] buffer) throws IOException {
        int b = in.read();
        if (b < 0) return -1;
        buffer[0] = (byte) b;
        return 1;
    }

    @Test
    void theSourcesErrorReachesTheConsumer() throws Exception {
        InputStream failing = new InputStream() {
            private int left = 1000;

            @Override
            public int read() throws IOException {
                if (left <= 0) throw new IOException("Unexpected end of ZLIB input stream");
                left--;
                return 'x';
            }
        };
        try (ReadAhead in = new ReadAhead(failing)) {
            IOException e = assertThrows(IOException.class, () -> in.transferTo(java.io.OutputStream.nullOutputStream()));
            assertEquals("Unexpected end of ZLIB input stream", e.getMessage());
        }
    }

    @Test
    void staysBoundedAheadAndStopsReadingOnClose() throws Exception {
        AtomicLong produced = new AtomicLong();
        InputStream endless = new InputStream() {
            @Override
            public int read() {
                produced.incrementAndGet();
                return 0;
            }

            @Override
            public int read(byte[] b, int off, int len) {
                produced.addAndGet(len);
                return len;
            }
        };
        ReadAhead in = new ReadAhead(endless);
        assertEquals(0, in.read());
        Thread.sleep(300); // the reader fills its queue, then waits for the consumer
        long bound = (long) (ReadAhead.CHUNKS + 2) * ReadAhead.CHUNK;
        assertTrue(produced.get() <= bound, "read " + produced.get() + " bytes ahead, more than " + bound);
        in.close();
        long atClose = produced.get();
        Thread.sleep(100);
        assertEquals(atClose, produced.get(), "nothing is read after close returned");
    }
}
