package runtime.api.sys;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import java.util.Random;

import org.junit.jupiter.api.Test;

class XzInputStreamTest {
    /** Compresses with the xz program (xz-utils, installed by scripts/test-setup). */
    private static byte[] xz(byte[] data) throws Exception {
        Process p = new ProcessBuilder("xz", "-c", "-3").start();
        Thread writer = Thread.ofVirtual().start(() -> {
            try (var out = p.getOutputStream()) {
                out.write(data);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        byte[] compressed = p.getInputStream().readAllBytes();
        writer.join();
        assertEquals(0, p.waitFor());
        return compressed;
    }

    private static byte[] sample(int size) {
        byte[] data = new byte[size];
        Random random = new Random(7);
        for (int i = 0; i < size; i++) data[i] = (byte) (i % 3 == 0 ? random.nextInt() : 'a' + i % 26);
        return data;
    }

    private static byte[] decode(byte[] compressed, int chunk) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (InputStream in = XzInputStream.open(new ByteArrayInputStream(compressed)).orElseThrow()) {
            byte[] buffer = new byte[chunk];
            int n;
            while ((n = in.read(buffer)) >= 0) out.write(buffer, 0, n);
        }
        return out.toByteArray();
    }

    @Test
    void liblzmaIsFoundOnDebian() {
        assertTrue(XzInputStream.isAvailable());
    }

    @Test
    void decodesWhatXzWroteWhateverTheReadSize() throws Exception {
        byte[] data = sample(1 << 20);
        byte[] compressed = xz(data);
        for (int chunk : new int[] {1 << 20, 65536, 4093}) {
            assertArrayEquals(data, decode(compressed, chunk), "reads of " + chunk);
        }
        try (InputStream in = XzInputStream.open(new ByteArrayInputStream(compressed)).orElseThrow()) {
            assertEquals(data[0] & 0xff, in.read(), "single bytes too");
        }
    }

    @Test
    void concatenatedStreamsAreOneLikeXzDoes() throws Exception {
        byte[] a = sample(100_000);
        byte[] b = "the second stream".getBytes();
        byte[] both = new ByteArrayOutputStream() {{
            writeBytes(xz(a));
            writeBytes(xz(b));
        }}.toByteArray();
        byte[] expected = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, expected, a.length, b.length);
        assertArrayEquals(expected, decode(both, 8192));
    }

    @Test
    void truncatedOrCorruptInputIsAnIoError() throws Exception {
        byte[] compressed = xz(sample(1 << 20));
        IOException truncated = assertThrows(java.io.EOFException.class,
                () -> decode(Arrays.copyOf(compressed, compressed.length / 2), 65536), "truncation is an EOFException, as in the JDK");
        assertEquals("xz: the compressed data ends too early", truncated.getMessage());
        byte[] corrupt = compressed.clone();
        for (int i = 100; i < 200; i++) corrupt[i] ^= 0x5a;
        assertThrows(IOException.class, () -> decode(corrupt, 65536));
        IOException notXz = assertThrows(IOException.class, () -> decode("not xz at all".getBytes(), 16));
        assertEquals("xz: not in the .xz format", notXz.getMessage());
    }
}
