package runtime.core.daemon;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Talks to {@code strata serve} over its unix socket. The JDK's HTTP client cannot use unix sockets,
 * and a full HTTP client library would cost every CLI command its start-up time, so this sends one
 * HTTP/1.0 request per connection: the reply then needs no chunked decoding and ends when the daemon
 * closes the connection.
 */
public final class DaemonClient {
    /** A reply: status and body text. */
    public record Reply(int status, String body) {
        public boolean ok() {
            return status >= 200 && status < 300;
        }
    }

    private final Path socket;

    public DaemonClient(Path socket) {
        this.socket = socket;
    }

    /** True when a daemon answers on {@code socket}. */
    public static boolean alive(Path socket) {
        if (!Files.exists(socket)) return false;
        try {
            return new DaemonClient(socket).request("GET", "/version", null).ok();
        } catch (IOException e) {
            return false;
        }
    }

    public Reply request(String method, String path, String jsonBody) throws IOException {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        int status = exchange(method, path, jsonBody, body);
        return new Reply(status, body.toString(StandardCharsets.UTF_8));
    }

    /** Sends a request and copies the reply's body to {@code out} as it arrives; returns the status. */
    public int exchange(String method, String path, String jsonBody, OutputStream out) throws IOException {
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.connect(UnixDomainSocketAddress.of(socket));
            byte[] payload = jsonBody == null ? new byte[0] : jsonBody.getBytes(StandardCharsets.UTF_8);
            String head = method + " " + path + " HTTP/1.0\r\nHost: strata\r\n"
                    + (jsonBody == null ? "" : "Content-Type: application/json\r\n")
                    + "Content-Length: " + payload.length + "\r\n\r\n";
            ch.write(ByteBuffer.wrap(head.getBytes(StandardCharsets.US_ASCII)));
            ch.write(ByteBuffer.wrap(payload));
            InputStream in = new BufferedInputStream(Channels.newInputStream(ch));
            String statusLine = line(in);
            String[] parts = statusLine.split(" ", 3);
            if (parts.length < 2 || !parts[0].startsWith("HTTP/")) throw new IOException("not an HTTP reply from " + socket);
            int status = Integer.parseInt(parts[1]);
            while (!line(in).isEmpty()) {
                // headers: the body ends with the connection
            }
            byte[] buf = new byte[8192];
            int n;
            while ((n = in.read(buf)) > 0) {
                out.write(buf, 0, n);
                out.flush();
            }
            return status;
        } catch (java.nio.channels.ClosedByInterruptException e) {
            // The invocation was ended (its front went away, a signal with no container to take it): say so in words.
            throw new IllegalStateException("interrupted while waiting for the daemon", e);
        }
    }

    private static String line(InputStream in) throws IOException {
        StringBuilder sb = new StringBuilder();
        int c;
        while ((c = in.read()) >= 0 && c != '\n') {
            if (c != '\r') sb.append((char) c);
        }
        return sb.toString();
    }
}
