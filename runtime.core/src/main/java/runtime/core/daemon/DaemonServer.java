package runtime.core.daemon;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.unixdomain.server.UnixDomainServerConnector;
import org.eclipse.jetty.util.Blocker;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.Fields;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import runtime.core.manifest.Manifest;
import runtime.core.manifest.ManifestParser;

/**
 * {@code strata serve}: a JSON API over HTTP/1.1 on a unix socket (mode 0600, so only its owner can talk
 * to it; {@code curl --unix-socket SOCK http://strata/containers} works too).
 *
 * <pre>
 * GET    /containers                     list
 * POST   /containers                     start: {"manifest": "TOML text", "directory": "/abs"} → 201 + summary
 * GET    /containers/ID                  inspect
 * POST   /containers/ID/stop?timeout=10  SIGTERM, then SIGKILL → {"exitCode": N}
 * POST   /containers/ID/kill?signal=9    send a signal
 * POST   /containers/ID/wait             → {"exitCode": N} when it ends
 * DELETE /containers/ID?force=1          forget an exited (or kill a running) container
 * GET    /containers/ID/logs?follow=1    its output (streamed until it ends with follow)
 * GET    /containers/ID/ports            port forwards; POST {"spec": ...} adds, DELETE ?spec=... removes
 * </pre>
 * Errors are {"error": "one line"} with 400 (bad request), 404 (no such container), 409 (conflict), 413
 * (a body over 1 MiB) or 431 (over 100 headers, or 16 KiB of them); a connection silent for 30 s is closed.
 * Bad JSON and clients that disappear mid-request affect only their own request.
 */
public final class DaemonServer {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern CONTAINER = Pattern.compile("/containers/([^/]+)(?:/(stop|kill|wait|logs|ports))?");

    /** The largest request body taken (a manifest is a few KiB). */
    public static final int MAX_BODY_BYTES = 1 << 20;
    /** The most bytes of request line and headers taken. */
    public static final int MAX_HEADER_BYTES = 16 << 10;
    /** The most request headers taken (their bytes are bounded too, by Jetty, at {@link #MAX_HEADER_BYTES}). */
    public static final int MAX_HEADERS = 100;
    /** How long a connection may send nothing before it is closed. */
    public static final long IDLE_TIMEOUT_MS = 30_000;

    private final ContainerService service;
    private final Path socket;
    private Server server;

    public DaemonServer(ContainerService service, Path socket) {
        this.service = service;
        this.socket = socket;
    }

    public static Path defaultSocket(Path runtimeDirectory) {
        return runtimeDirectory.resolve("strata.sock");
    }

    public Path socket() {
        return socket;
    }

    public void start() throws Exception {
        Files.createDirectories(socket.getParent(), PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        if (Files.exists(socket)) {
            if (DaemonClient.alive(socket)) throw new IllegalStateException("a strata daemon already listens on " + socket);
            Files.delete(socket); // left by a daemon that died
        }
        QueuedThreadPool threads = new QueuedThreadPool(32, 2);
        threads.setName("strata-daemon");
        threads.setVirtualThreadsExecutor(java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor());
        server = new Server(threads);
        // Bounded requests: headers (their total size bounds their count too) answered 431 by Jetty, a body
        // 413 here (a 600 MB body was kept in memory: 2.6 GB RSS), and a connection idle for
        // IDLE_TIMEOUT_MS dropped, so a client that trickles its request (slowloris) holds nothing for long.
        org.eclipse.jetty.server.HttpConfiguration http = new org.eclipse.jetty.server.HttpConfiguration();
        http.setRequestHeaderSize(MAX_HEADER_BYTES);
        http.setSendServerVersion(false);
        UnixDomainServerConnector connector = new UnixDomainServerConnector(server,
                new org.eclipse.jetty.server.HttpConnectionFactory(http));
        connector.setIdleTimeout(IDLE_TIMEOUT_MS);
        // Bound in a private directory, made 0600, then renamed into place: the socket never exists
        // under its public name with the umask's mode (with umask 0, anyone could connect meanwhile).
        Path hidden = Files.createTempDirectory(socket.getParent(), ".s",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        Path bound = hidden.resolve("s");
        try {
            connector.setUnixDomainPath(bound);
            server.addConnector(connector);
            server.setHandler(new OwnerOnly(new Api(), Files.getOwner(socket.getParent())));
            server.start();
            Files.setPosixFilePermissions(bound, PosixFilePermissions.fromString("rw-------"));
            Files.move(bound, socket, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(bound);
            Files.deleteIfExists(hidden);
        }
    }

    public void join() throws InterruptedException {
        server.join();
    }

    public void stop() throws Exception {
        service.stopAll();
        server.stop();
        Files.deleteIfExists(socket);
    }

    /**
     * Serves only peers of the socket directory's owner, this process's user, and root (who can reach
     * that user's processes anyway), by SO_PEERCRED: the socket's mode keeps others out, this holds when
     * someone loosens it too.
     */
    private static final class OwnerOnly extends Handler.Wrapper {
        private final java.nio.file.attribute.UserPrincipal owner;
        private final java.nio.file.attribute.UserPrincipal root;

        OwnerOnly(Handler api, java.nio.file.attribute.UserPrincipal owner) throws IOException {
            super(api);
            this.owner = owner;
            // "0" is taken as a uid when no user has that name (the JDK's look-up).
            this.root = java.nio.file.FileSystems.getDefault().getUserPrincipalLookupService().lookupPrincipalByName("0");
        }

        @Override
        public boolean handle(Request request, Response response, Callback callback) throws Exception {
            Object transport = request.getConnectionMetaData().getConnection().getEndPoint().getTransport();
            java.nio.file.attribute.UserPrincipal peer = null;
            if (transport instanceof java.nio.channels.SocketChannel channel) {
                peer = channel.getOption(jdk.net.ExtendedSocketOptions.SO_PEERCRED).user();
            }
            if (!owner.equals(peer) && !root.equals(peer)) {
                error(response, callback, 403, "this daemon serves only " + owner.getName());
                return true;
            }
            return super.handle(request, response, callback);
        }
    }

    private final class Api extends Handler.Abstract {
        @Override
        public boolean handle(Request request, Response response, Callback callback) {
            try {
                if (request.getHeaders().size() > MAX_HEADERS) {
                    error(response, callback, 431, "more than " + MAX_HEADERS + " request headers");
                    return true;
                }
                route(request, response, callback);
            } catch (BodyTooLarge e) {
                error(response, callback, 413, e.getMessage());
            } catch (ContainerService.NoSuchElementException e) {
                error(response, callback, 404, e.getMessage());
            } catch (IllegalStateException e) {
                error(response, callback, 409, e.getMessage());
            } catch (IllegalArgumentException | com.fasterxml.jackson.core.JsonProcessingException e) {
                error(response, callback, 400, oneLine(e));
            } catch (Exception e) {
                error(response, callback, 500, oneLine(e));
            }
            return true;
        }
    }

    private void route(Request request, Response response, Callback callback) throws Exception {
        String path = Request.getPathInContext(request);
        String method = request.getMethod();
        Fields query = Request.extractQueryParameters(request);
        if (path.equals("/containers") || path.equals("/containers/")) {
            switch (method) {
                case "GET" -> json(response, callback, 200, service.list());
                case "POST" -> {
                    JsonNode body = body(request);
                    String toml = body.path("manifest").asText(null);
                    if (toml == null) throw new IllegalArgumentException("the request needs a \"manifest\" (TOML text)");
                    Path dir = Path.of(body.path("directory").asText("/"));
                    Manifest m = ManifestParser.parse(toml, body.path("origin").asText("manifest"), dir);
                    json(response, callback, 201, service.start(m, dir));
                }
                default -> error(response, callback, 405, method + " is not allowed on /containers");
            }
            return;
        }
        if (path.equals("/version")) {
            json(response, callback, 200, Map.of("api", 1));
            return;
        }
        Matcher m = CONTAINER.matcher(path);
        if (!m.matches()) {
            error(response, callback, 404, "no such resource " + path);
            return;
        }
        String id = m.group(1);
        String action = m.group(2) == null ? "" : m.group(2);
        switch (method + " " + action) {
            case "GET " -> json(response, callback, 200, service.inspect(id));
            case "DELETE " -> {
                service.remove(id, "1".equals(query.getValue("force")));
                json(response, callback, 200, Map.of("removed", id));
            }
            case "POST stop" -> json(response, callback, 200,
                    Map.of("exitCode", service.stop(id, Long.parseLong(query.getValue("timeout") == null ? "10" : query.getValue("timeout")))));
            case "POST kill" -> {
                service.kill(id, Integer.parseInt(query.getValue("signal") == null ? "15" : query.getValue("signal")));
                json(response, callback, 200, Map.of("signalled", id));
            }
            case "POST wait" -> json(response, callback, 200, Map.of("exitCode", service.waitFor(id)));
            case "GET logs" -> logs(id, "1".equals(query.getValue("follow")), response, callback);
            case "GET ports" -> json(response, callback, 200, service.ports(id).list());
            case "POST ports" -> {
                String spec = body(request).path("spec").asText(null);
                if (spec == null) throw new IllegalArgumentException("the request needs a \"spec\"");
                service.ports(id).add(spec);
                json(response, callback, 200, service.ports(id).list());
            }
            case "DELETE ports" -> {
                String spec = query.getValue("spec");
                if (spec == null) throw new IllegalArgumentException("give ?spec=");
                service.ports(id).remove(spec);
                json(response, callback, 200, service.ports(id).list());
            }
            default -> error(response, callback, 405, method + " is not allowed on " + path);
        }
    }

    /** Streams the log; with follow, keeps reading until the container ended and the log is drained. */
    private void logs(String id, boolean follow, Response response, Callback callback) throws Exception {
        Path log = service.log(id);
        var exit = service.exit(id);
        response.setStatus(200);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "text/plain; charset=utf-8");
        byte[] buffer = new byte[16384];
        try (InputStream in = Files.newInputStream(log)) {
            while (true) {
                int n = in.read(buffer);
                if (n > 0) {
                    try (Blocker.Callback b = Blocker.callback()) {
                        response.write(false, ByteBuffer.wrap(buffer, 0, n), b);
                        b.block();
                    }
                    continue;
                }
                if (!follow || exit.isDone()) {
                    int rest;
                    while ((rest = in.read(buffer)) > 0) {
                        try (Blocker.Callback b = Blocker.callback()) {
                            response.write(false, ByteBuffer.wrap(buffer, 0, rest), b);
                            b.block();
                        }
                    }
                    break;
                }
                Thread.sleep(100);
            }
        }
        response.write(true, ByteBuffer.allocate(0), callback);
    }

    /** A request body over {@link #MAX_BODY_BYTES}. */
    private static final class BodyTooLarge extends RuntimeException {
        BodyTooLarge() {
            super("the request body is larger than " + MAX_BODY_BYTES + " bytes, the most this daemon takes");
        }
    }

    /** The request's JSON body, refused unread when it says it is too large, and cut off when it grows so. */
    private static JsonNode body(Request request) throws IOException {
        long declared = request.getHeaders().getLongField(HttpHeader.CONTENT_LENGTH);
        if (declared > MAX_BODY_BYTES) throw new BodyTooLarge();
        byte[] bytes;
        try (InputStream in = Content.Source.asInputStream(request)) {
            bytes = in.readNBytes(MAX_BODY_BYTES + 1);
        }
        if (bytes.length > MAX_BODY_BYTES) throw new BodyTooLarge();
        String text = new String(bytes, StandardCharsets.UTF_8);
        if (text.isBlank()) return JSON.createObjectNode();
        return JSON.readTree(text);
    }

    private static void json(Response response, Callback callback, int status, Object value) throws IOException {
        response.setStatus(status);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
        response.write(true, ByteBuffer.wrap(JSON.writeValueAsBytes(value)), callback);
    }

    private static void error(Response response, Callback callback, int status, String message) {
        try {
            json(response, callback, status, Map.of("error", message == null ? "error" : message));
        } catch (IOException e) {
            callback.failed(e);
        }
    }

    private static String oneLine(Exception e) {
        String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        return m.lines().findFirst().orElse(m);
    }
}
