package runtime.cli.server;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Arrays;

import runtime.api.sys.Posix;

/** Streams over a raw descriptor number (one the front sent), read and written with the system calls. */
final class FdStreams {
    private FdStreams() {}

    static InputStream in(int fd) {
        return new InputStream() {
            @Override
            public int read() throws IOException {
                byte[] one = new byte[1];
                return read(one, 0, 1) <= 0 ? -1 : one[0] & 0xff;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                if (len == 0) return 0;
                byte[] chunk = new byte[Math.min(len, 65536)];
                int n = Posix.read(fd, chunk, chunk.length);
                if (n == 0) return -1;
                System.arraycopy(chunk, 0, b, off, n);
                return n;
            }
        };
    }

    static OutputStream out(int fd) {
        return new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                Posix.writeAll(fd, new byte[] {(byte) b});
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                if (len > 0) Posix.writeAll(fd, Arrays.copyOfRange(b, off, off + len));
            }
        };
    }
}
