package runtime.core.source.oci;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import runtime.api.source.SourceContext;

/**
 * The client side of the OCI distribution spec for one repository: manifests and blobs over
 * java.net.http, with anonymous, Bearer-token (the {@code WWW-Authenticate} flow) and Basic auth.
 * {@code localhost}, {@code 127.0.0.1}, {@code [::1]} and the registries in
 * {@code $STRATA_INSECURE_REGISTRIES} are spoken to over plain HTTP, all others over HTTPS.
 */
public final class RegistryClient {
    static final ObjectMapper JSON = new ObjectMapper();
    private static final int ATTEMPTS = 4;
    private static final long MAX_MANIFEST = 4 << 20;

    private final Reference reference;
    private final HttpClient http;
    private final Map<String, String> env;
    private final boolean push;
    private final URI base;
    private final boolean plainHttp;
    private volatile String authorization;

    public RegistryClient(Reference reference, HttpClient http, Map<String, String> env, boolean push) {
        this.reference = reference;
        this.http = http;
        this.env = env;
        this.push = push;
        this.plainHttp = insecure(reference.apiHost(), env);
        this.base = URI.create((plainHttp ? "http://" : "https://") + reference.apiHost() + "/v2/" + reference.repository() + "/");
    }

    /** Plain HTTP for loopback registries and those listed (host or host:port, comma or space separated). */
    static boolean insecure(String hostPort, Map<String, String> env) {
        String host = hostPort.startsWith("[") ? hostPort.substring(0, hostPort.indexOf(']') + 1)
                : hostPort.contains(":") ? hostPort.substring(0, hostPort.indexOf(':')) : hostPort;
        if (host.equals("localhost") || host.equals("127.0.0.1") || host.equals("[::1]")) return true;
        String list = env.getOrDefault("STRATA_INSECURE_REGISTRIES", "");
        for (String entry : list.split("[,\\s]+")) {
            if (!entry.isEmpty() && (entry.equals(hostPort) || entry.equals(host))) return true;
        }
        return false;
    }

    public record Manifest(byte[] body, String mediaType, String digest) {
        public JsonNode json() {
            try {
                return JSON.readTree(body);
            } catch (IOException e) {
                throw new OciException("manifest " + digest + " is not JSON: " + e.getMessage());
            }
        }
    }

    private HttpRequest.Builder request(String path) {
        HttpRequest.Builder b = HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofMinutes(5));
        // Go's registry does not speak h2c; asking for an upgrade on plain HTTP only costs a round trip.
        if (plainHttp) b.version(HttpClient.Version.HTTP_1_1);
        return b;
    }

    private String where() {
        return reference.name();
    }

    /** Sends a request, authenticating once when the registry answers 401 with a challenge. */
    private <T> HttpResponse<T> send(Supplier<HttpRequest.Builder> request, HttpResponse.BodyHandler<T> handler) throws IOException {
        for (int round = 0; ; round++) {
            HttpRequest.Builder b = request.get();
            String auth = authorization;
            if (auth != null) b.setHeader("Authorization", auth);
            HttpResponse<T> response = raw(b.build(), handler);
            if (response.statusCode() != 401 || round > 0) return response;
            discard(response);
            List<WwwAuthenticate> challenges = WwwAuthenticate.parse(response.headers().firstValue("WWW-Authenticate").orElse(null));
            authenticate(challenges);
        }
    }

    private <T> HttpResponse<T> raw(HttpRequest request, HttpResponse.BodyHandler<T> handler) throws IOException {
        try {
            return http.send(request, handler);
        } catch (ConnectException e) {
            throw new OciException("cannot reach registry " + reference.apiHost() + " (" + (plainHttp ? "http" : "https")
                    + "): connection refused", e);
        } catch (javax.net.ssl.SSLException e) {
            throw new OciException("registry " + reference.apiHost() + " did not speak TLS (" + e.getMessage()
                    + "): for a plain-HTTP registry set STRATA_INSECURE_REGISTRIES=" + reference.apiHost(), e);
        } catch (java.net.http.HttpTimeoutException e) {
            throw new OciException("registry " + reference.apiHost() + " did not answer in time", e);
        } catch (IOException e) {
            throw new OciException("cannot reach registry " + reference.apiHost() + " (" + (plainHttp ? "http" : "https") + "): "
                    + (e.getMessage() == null ? "the connection failed" : e.getMessage()), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted");
        }
    }

    private static void discard(HttpResponse<?> response) throws IOException {
        if (response.body() instanceof InputStream in) in.close();
    }

    private void authenticate(List<WwwAuthenticate> challenges) throws IOException {
        Optional<String[]> credentials = credentials();
        for (WwwAuthenticate c : challenges) {
            if (c.scheme().equals("bearer") && c.param("realm") != null) {
                authorization = "Bearer " + token(c, credentials);
                return;
            }
        }
        for (WwwAuthenticate c : challenges) {
            if (c.scheme().equals("basic")) {
                String[] up = credentials.orElseThrow(() -> new OciException(reference.apiHost()
                        + ": authentication required (strata login " + reference.apiHost() + ", or set STRATA_REGISTRY_USER and STRATA_REGISTRY_PASSWORD)"));
                authorization = basic(up);
                return;
            }
        }
        throw new OciException(reference.apiHost() + ": access denied (no usable authentication challenge)");
    }

    private static String basic(String[] up) {
        return "Basic " + Base64.getEncoder().encodeToString((up[0] + ":" + up[1]).getBytes(StandardCharsets.UTF_8));
    }

    private String token(WwwAuthenticate challenge, Optional<String[]> credentials) throws IOException {
        String scope = "repository:" + reference.repository() + ":" + (push ? "pull,push" : "pull");
        StringBuilder query = new StringBuilder();
        if (challenge.param("service") != null) query.append("service=").append(enc(challenge.param("service"))).append('&');
        query.append("scope=").append(enc(scope));
        String realm = challenge.param("realm");
        URI uri;
        try {
            uri = URI.create(realm + (realm.contains("?") ? "&" : "?") + query);
        } catch (IllegalArgumentException e) {
            throw new OciException(reference.apiHost() + ": bad token realm '" + realm + "'");
        }
        if (!uri.getScheme().equals("https") && !insecure(uri.getAuthority(), env)) {
            // Credentials are never sent in clear to a token server we would not talk plain HTTP to.
            throw new OciException(reference.apiHost() + ": token realm " + realm + " is not HTTPS");
        }
        HttpRequest.Builder b = HttpRequest.newBuilder(uri).timeout(Duration.ofMinutes(1)).GET();
        credentials.ifPresent(up -> b.header("Authorization", basic(up)));
        HttpResponse<byte[]> r = raw(b.build(), HttpResponse.BodyHandlers.ofByteArray());
        if (r.statusCode() == 401 || r.statusCode() == 403) {
            throw new OciException(reference.apiHost() + ": access denied by the token server"
                    + (credentials.isEmpty() ? " (no credentials: strata login " + reference.apiHost() + ", or set STRATA_REGISTRY_USER and STRATA_REGISTRY_PASSWORD)" : " (check the credentials)"));
        }
        if (r.statusCode() != 200) throw new OciException(reference.apiHost() + ": token server answered " + r.statusCode());
        JsonNode json = JSON.readTree(r.body());
        String token = json.path("token").asText(json.path("access_token").asText(""));
        if (token.isEmpty()) throw new OciException(reference.apiHost() + ": token server sent no token");
        return token;
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    /** STRATA_REGISTRY_USER/PASSWORD, else the registry's entry in ~/.docker/config.json {@code auths}. */
    Optional<String[]> credentials() {
        if (given != null) return Optional.of(given);
        String user = env.get("STRATA_REGISTRY_USER");
        String password = env.get("STRATA_REGISTRY_PASSWORD");
        if (user != null && !user.isEmpty()) return Optional.of(new String[] {user, password == null ? "" : password});
        return AuthFiles.lookup(env, reference.registry());
    }

    /** Credentials to try instead of the configured ones (login checks them before recording them). */
    private String[] given;

    /**
     * Checks {@code user}:{@code password} with {@code registry} (GET /v2/, answering its Basic or Bearer
     * challenge) as podman's login does; an OciException says why they do not work.
     */
    public static void checkLogin(String registry, String user, String password, Map<String, String> env) throws IOException {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(30)).build();
        RegistryClient c = new RegistryClient(Reference.parse(registry + "/login-check"), http, env, false);
        c.given = new String[] {user, password};
        URI root = c.base.resolve("/v2/");
        HttpResponse<Void> r = c.send(() -> {
            HttpRequest.Builder b = HttpRequest.newBuilder(root).timeout(Duration.ofMinutes(1)).GET();
            if (c.plainHttp) b.version(HttpClient.Version.HTTP_1_1);
            return b;
        }, HttpResponse.BodyHandlers.discarding());
        if (r.statusCode() == 401 || r.statusCode() == 403) throw new OciException(registry + ": the user name or password is wrong");
        if (r.statusCode() != 200) throw new OciException(registry + ": answered HTTP " + r.statusCode() + " to /v2/ (is it a registry?)");
    }

    static final String ACCEPT = String.join(", ", MediaTypes.OCI_INDEX, MediaTypes.OCI_MANIFEST,
            MediaTypes.DOCKER_LIST, MediaTypes.DOCKER_MANIFEST);

    /** Fetches a manifest (by tag or digest) and verifies its digest: the pinned one, else the registry's header. */
    public Manifest manifest(String ref) throws IOException {
        HttpResponse<InputStream> r = send(() -> request("manifests/" + ref).header("Accept", ACCEPT).GET(),
                HttpResponse.BodyHandlers.ofInputStream());
        byte[] body;
        try (InputStream in = r.body()) {
            check(r.statusCode(), 200, "manifest " + ref);
            body = in.readNBytes((int) MAX_MANIFEST + 1);
        }
        if (body.length > MAX_MANIFEST) throw new OciException("manifest " + ref + " of " + where() + " is larger than 4 MiB");
        String mediaType = r.headers().firstValue("Content-Type").orElse("").split(";")[0].trim();
        Optional<String> header = r.headers().firstValue("Docker-Content-Digest");
        String expected = ref.contains(":") ? ref : header.orElse(null);
        String actual = expected == null ? Digests.sha256(body) : digestOf(body, expected);
        if (expected != null && !expected.equals(actual)) {
            throw new OciException("manifest " + ref + " of " + where() + ": digest mismatch (expected " + expected + ", got " + actual + ")");
        }
        return new Manifest(body, mediaType, actual);
    }

    private static String digestOf(byte[] body, String like) {
        MessageDigest md = Digests.newDigest(like);
        md.update(body);
        return Digests.format(md);
    }

    private void check(int status, int wanted, String what) {
        if (status == wanted) return;
        String why = switch (status) {
            case 401, 403 -> "access denied";
            case 404 -> "not found";
            case 429 -> "too many requests";
            default -> "registry answered HTTP " + status;
        };
        throw new OciException(what + " of " + where() + ": " + why);
    }

    /** A blob small enough for memory (image configs), digest verified. */
    public byte[] blobBytes(String digest, long maxSize) throws IOException {
        Digests.check(digest, "blob of " + where());
        HttpResponse<InputStream> r = send(() -> request("blobs/" + digest).GET(), HttpResponse.BodyHandlers.ofInputStream());
        byte[] body;
        try (InputStream in = r.body()) {
            check(r.statusCode(), 200, "blob " + digest);
            body = in.readNBytes((int) maxSize + 1);
        }
        if (body.length > maxSize) throw new OciException("blob " + digest + " of " + where() + " is too large");
        String actual = digestOf(body, digest);
        if (!actual.equals(digest)) throw new OciException("blob " + digest + " of " + where() + ": digest mismatch (got " + actual + ")");
        return body;
    }

    /**
     * Downloads a blob into {@code file}, hashing while streaming. A broken transfer is resumed with an
     * HTTP Range request (a few attempts, with backoff); the file is kept only if size and digest match.
     */
    public void downloadBlob(String digest, long size, Path file, SourceContext.Progress progress) throws IOException {
        Digests.check(digest, "blob of " + where());
        if (size < 0) throw new OciException("blob " + digest + " of " + where() + ": the manifest gives no size");
        MessageDigest md = Digests.newDigest(digest);
        long have = 0;
        IOException last = null;
        boolean ok = false;
        try (FileChannel out = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
            for (int attempt = 0; attempt < ATTEMPTS && have < size; attempt++) {
                if (attempt > 0) backoff(attempt);
                final long from = have;
                HttpResponse<InputStream> r;
                try {
                    r = send(() -> {
                        HttpRequest.Builder b = request("blobs/" + digest).GET();
                        if (from > 0) b.header("Range", "bytes=" + from + "-");
                        return b;
                    }, HttpResponse.BodyHandlers.ofInputStream());
                } catch (OciException e) {
                    throw e;
                } catch (IOException e) {
                    last = e;
                    continue;
                }
                try (InputStream in = r.body()) {
                    int status = r.statusCode();
                    if (status == 200 && have > 0) {
                        // The server ignored the range: start over.
                        have = 0;
                        md.reset();
                        out.truncate(0);
                        out.position(0);
                    } else if (status == 416) {
                        break; // nothing beyond what we have: the blob is shorter than its descriptor says
                    } else if (status >= 500 || status == 429) {
                        last = new IOException("registry answered HTTP " + status);
                        continue;
                    } else if (status != 200 && status != 206) {
                        check(status, 200, "blob " + digest);
                    }
                    byte[] buf = new byte[1 << 16];
                    int n;
                    while ((n = in.read(buf)) > 0) {
                        if (have + n > size) throw new OciException("blob " + digest + " of " + where() + ": more data than its size " + size);
                        out.write(java.nio.ByteBuffer.wrap(buf, 0, n));
                        md.update(buf, 0, n);
                        have += n;
                        if (progress != null) progress.advance(n);
                    }
                } catch (OciException e) {
                    throw e;
                } catch (IOException e) {
                    last = e; // resumed from `have` on the next attempt
                }
            }
            if (have < size) {
                throw new OciException("blob " + digest + " of " + where() + ": truncated (got " + have + " of " + size + " bytes"
                        + (last != null ? "; " + oneLine(last) : "") + ")");
            }
            String actual = Digests.format(md);
            if (!actual.equals(digest)) {
                throw new OciException("blob " + digest + " of " + where() + ": digest mismatch (got " + actual + ")");
            }
            ok = true;
        } finally {
            if (!ok) Files.deleteIfExists(file);
        }
    }

    static String oneLine(Throwable e) {
        return runtime.core.Errors.oneLine(e);
    }

    private static void backoff(int attempt) throws InterruptedIOException {
        try {
            Thread.sleep(200L << (attempt - 1));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted");
        }
    }

    /** True when the registry has the blob (a HEAD), so a push can skip it. */
    public boolean hasBlob(String digest) throws IOException {
        HttpResponse<Void> r = send(() -> request("blobs/" + digest).method("HEAD", HttpRequest.BodyPublishers.noBody()),
                HttpResponse.BodyHandlers.discarding());
        return r.statusCode() == 200;
    }

    /**
     * Uploads a blob: POST opens an upload session, then either one PUT with the whole body
     * (monolithic) or PATCHes of {@code chunkSize} bytes followed by a closing PUT (chunked).
     */
    public void uploadBlob(String digest, Path file, long chunkSize) throws IOException {
        HttpResponse<Void> start = send(() -> request("blobs/uploads/").POST(HttpRequest.BodyPublishers.noBody()),
                HttpResponse.BodyHandlers.discarding());
        check(start.statusCode(), 202, "upload of " + digest);
        URI location = location(start);
        long size = Files.size(file);
        if (chunkSize > 0 && size > chunkSize) {
            try (InputStream in = Files.newInputStream(file)) {
                long offset = 0;
                while (offset < size) {
                    byte[] chunk = in.readNBytes((int) Math.min(chunkSize, size - offset));
                    final URI at = location;
                    final long from = offset;
                    HttpResponse<Void> r = send(() -> uploadRequest(at).header("Content-Type", "application/octet-stream")
                            .header("Content-Range", from + "-" + (from + chunk.length - 1))
                            .method("PATCH", HttpRequest.BodyPublishers.ofByteArray(chunk)), HttpResponse.BodyHandlers.discarding());
                    check(r.statusCode(), 202, "upload of " + digest);
                    location = location(r);
                    offset += chunk.length;
                }
            }
            final URI done = withDigest(location, digest);
            HttpResponse<Void> r = send(() -> uploadRequest(done).PUT(HttpRequest.BodyPublishers.noBody()),
                    HttpResponse.BodyHandlers.discarding());
            check(r.statusCode(), 201, "upload of " + digest);
        } else {
            final URI done = withDigest(location, digest);
            HttpResponse<Void> r = send(() -> {
                try {
                    return uploadRequest(done).header("Content-Type", "application/octet-stream")
                            .PUT(HttpRequest.BodyPublishers.ofFile(file));
                } catch (java.io.FileNotFoundException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }, HttpResponse.BodyHandlers.discarding());
            check(r.statusCode(), 201, "upload of " + digest);
        }
    }

    private HttpRequest.Builder uploadRequest(URI uri) {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri).timeout(Duration.ofMinutes(30));
        if (plainHttp) b.version(HttpClient.Version.HTTP_1_1);
        return b;
    }

    private URI location(HttpResponse<?> r) {
        String loc = r.headers().firstValue("Location")
                .orElseThrow(() -> new OciException("upload to " + where() + ": registry sent no Location"));
        return base.resolve(loc);
    }

    private static URI withDigest(URI location, String digest) {
        String s = location.toString();
        return URI.create(s + (s.contains("?") ? "&" : "?") + "digest=" + enc(digest));
    }

    /** Stores a manifest under {@code tag} and returns the digest the registry reports (or ours). */
    public String putManifest(String tag, String mediaType, byte[] body) throws IOException {
        HttpResponse<Void> r = send(() -> request("manifests/" + tag).header("Content-Type", mediaType)
                .PUT(HttpRequest.BodyPublishers.ofByteArray(body)), HttpResponse.BodyHandlers.discarding());
        check(r.statusCode(), 201, "manifest " + tag);
        return r.headers().firstValue("Docker-Content-Digest").orElse(Digests.sha256(body));
    }

}
