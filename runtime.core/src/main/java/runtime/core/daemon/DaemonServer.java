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
 * Errors are {"error": "one line"} naming the parameter at fault, with 400 (bad request), 404 (no such
 * container), 409 (conflict: a name taken, an ambiguous id prefix), 413 (a body over 1 MiB) or 431 (over
 * 100 headers, or 16 KiB of them); a connection silent for 30 s is closed. The reference: docs/api.md.
 * Bad JSON and clients that disappear mid-request affect only their own request.
 */
public final class DaemonServer {
    private static final ObjectMapper JSON = DaemonApi.JSON;
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
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                error(response, callback, 400, "body: not JSON (" + e.getOriginalMessage() + ")");
            } catch (Exception e) {
                error(response, callback, status(e), errorText(e));
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
                    onlyParameters(query);
                    JsonNode body = body(request, "manifest", "directory", "origin");
                    String toml = text(body, "manifest", "TOML text").orElseThrow(() ->
                            new IllegalArgumentException("manifest: the request needs a \"manifest\" (TOML text)"));
                    String directory = text(body, "directory", "an absolute path").orElse("/");
                    if (!directory.startsWith("/")) {
                        throw new IllegalArgumentException("directory: '" + directory + "' is not an absolute path");
                    }
                    Path dir = Path.of(directory);
                    if (!Files.isDirectory(dir)) throw new IllegalArgumentException("directory: " + dir + " is not a directory");
                    Manifest m;
                    try {
                        m = ManifestParser.parse(toml, text(body, "origin", "a file name").orElse("manifest"), dir);
                    } catch (ManifestParser.InvalidManifestException e) {
                        throw new IllegalArgumentException("manifest: " + String.join("; ", e.problems()), e);
                    }
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
            case "GET " -> {
                onlyParameters(query);
                json(response, callback, 200, service.inspect(id));
            }
            case "DELETE " -> {
                onlyParameters(query, "force");
                service.remove(id, flag(query, "force"));
                json(response, callback, 200, Map.of("removed", id));
            }
            case "POST stop" -> {
                onlyParameters(query, "timeout");
                json(response, callback, 200, Map.of("exitCode", service.stop(id, timeout(query.getValue("timeout")))));
            }
            case "POST kill" -> {
                onlyParameters(query, "signal");
                service.kill(id, signal(query.getValue("signal")));
                json(response, callback, 200, Map.of("signalled", id));
            }
            case "POST wait" -> {
                onlyParameters(query);
                json(response, callback, 200, Map.of("exitCode", service.waitFor(id)));
            }
            case "GET logs" -> {
                onlyParameters(query, "follow");
                logs(id, flag(query, "follow"), response, callback);
            }
            case "GET ports" -> {
                onlyParameters(query);
                json(response, callback, 200, service.ports(id).list());
            }
            case "POST ports" -> {
                onlyParameters(query);
                String spec = text(body(request, "spec"), "spec", "a port spec such as 127.0.0.1:8080:80").orElseThrow(() ->
                        new IllegalArgumentException("spec: the request needs a \"spec\" (e.g. 127.0.0.1:8080:80)"));
                service.ports(id).add(spec);
                json(response, callback, 200, service.ports(id).list());
            }
            case "DELETE ports" -> {
                onlyParameters(query, "spec");
                String spec = query.getValue("spec");
                if (spec == null) throw new IllegalArgumentException("spec: give ?spec= (the forward to remove)");
                service.ports(id).remove(spec);
                json(response, callback, 200, service.ports(id).list());
            }
            default -> error(response, callback, 405, method + " is not allowed on " + path);
        }
    }

    /** Streams the log (the service's copy, each chunk sent as it is read); with follow, until the container ended. */
    private void logs(String id, boolean follow, Response response, Callback callback) throws Exception {
        service.log(id); // an unknown container is a 404, before any of the reply is sent
        response.setStatus(200);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "text/plain; charset=utf-8");
        try (var out = Content.Sink.asOutputStream(response)) {
            service.logs(id, follow, out);
        }
        callback.succeeded();
    }

    /** A request body over {@link #MAX_BODY_BYTES}. */
    private static final class BodyTooLarge extends RuntimeException {
        BodyTooLarge() {
            super("the request body is larger than " + MAX_BODY_BYTES + " bytes, the most this daemon takes");
        }
    }

    /** A query parameter this route does not know is an error naming it: a typo must not mean "the default". */
    private static void onlyParameters(Fields query, String... known) {
        for (String name : query.getNames()) {
            if (!java.util.Arrays.asList(known).contains(name)) {
                throw new IllegalArgumentException(name + ": unknown parameter" + (known.length == 0 ? " (this request takes none)"
                        : " (this request takes " + String.join(", ", known) + ")"));
            }
        }
    }

    /** A 0/1 (or false/true) query parameter; absent is false. */
    private static boolean flag(Fields query, String name) {
        String value = query.getValue(name);
        if (value == null || value.equals("0") || value.equals("false")) return false;
        if (value.equals("1") || value.equals("true")) return true;
        throw new IllegalArgumentException(name + ": '" + value + "' is not 0 or 1");
    }

    /** A whole-number query parameter in [min, max]; absent is {@code otherwise}. */
    private static long number(String name, String value, long otherwise, long min, long max, String what) {
        if (value == null) return otherwise;
        try {
            return bounded(value, min, max, what);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(name + ": " + e.getMessage());
        }
    }

    private static long bounded(String value, long min, long max, String what) {
        long n;
        try {
            n = Long.parseLong(value);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + value + "' is not " + what);
        }
        if (n < min || n > max) throw new IllegalArgumentException(n + " is not " + what);
        return n;
    }

    /** A stop's timeout as every client checks it (the CLI's --timeout too), without the parameter's name. */
    public static long timeoutSeconds(String value) {
        return bounded(value, 0, 3600, "a whole number of seconds, 0-3600");
    }

    /** The string field {@code name} of a JSON body; present but of another type is an error naming it. */
    private static java.util.Optional<String> text(JsonNode body, String name, String what) {
        JsonNode value = body.get(name);
        if (value == null || value.isNull()) return java.util.Optional.empty();
        if (!value.isTextual()) throw new IllegalArgumentException(name + ": must be a JSON string (" + what + "), not " + value.getNodeType().toString().toLowerCase(java.util.Locale.ROOT));
        return java.util.Optional.of(value.asText());
    }

    /**
     * The request's JSON body, which must be an object of the {@code fields} named; refused unread when it
     * says it is too large, and cut off when it grows so.
     */
    private static JsonNode body(Request request, String... fields) throws IOException {
        JsonNode body = rawBody(request);
        if (!body.isObject()) throw new IllegalArgumentException("body: must be a JSON object");
        for (java.util.Iterator<String> names = body.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!java.util.Arrays.asList(fields).contains(name)) {
                throw new IllegalArgumentException(name + ": unknown field (this request takes " + String.join(", ", fields) + ")");
            }
        }
        return body;
    }

    private static JsonNode rawBody(Request request) throws IOException {
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

    /** The status of a failure of the service: 404 no such container, 409 conflict, 400 bad request, 500 the daemon's. */
    private static int status(Exception e) {
        if (e instanceof ContainerService.NoSuchElementException) return 404;
        if (e instanceof IllegalStateException) return 409;
        if (e instanceof IllegalArgumentException) return 400;
        return 500;
    }

    /** The {"error"} line of a failure of the service (the in-process {@link DaemonApi} says the same). */
    static String errorText(Exception e) {
        if (e instanceof ContainerService.NoSuchElementException || e instanceof IllegalStateException) return e.getMessage();
        return oneLine(e);
    }

    /** The {@code timeout} of a stop, in seconds (absent: 10). */
    static long timeout(String value) {
        return number("timeout", value, 10, 0, 3600, "a whole number of seconds, 0-3600");
    }

    /** The {@code signal} of a kill (absent: 15, SIGTERM). */
    static int signal(String value) {
        return (int) number("signal", value, 15, 1, 64, "a signal number, 1-64");
    }

    private static String oneLine(Exception e) {
        return runtime.core.Errors.oneLine(e); // never a class name (issue 20)
    }
}
