package runtime.core.source.oci;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The authentication flows and resumable downloads of {@link RegistryClient} against a small fake
 * registry that speaks the distribution protocol's HTTP (the round trips against a real registry are
 * in runtime.cli's OciIT): Bearer tokens from a token server with Basic credentials (from the
 * environment or ~/.docker/config.json), Basic auth, a blob cut off mid-transfer and resumed with a
 * Range request, and digest mismatches.
 */
class RegistryClientTest {
    private static final byte[] BLOB = new byte[300_000];
    private static final String BLOB_DIGEST;
    private static final byte[] MANIFEST = "{\"schemaVersion\":2}".getBytes(StandardCharsets.UTF_8);

    static {
        for (int i = 0; i < BLOB.length; i++) BLOB[i] = (byte) (i * 31 + (i >> 8));
        BLOB_DIGEST = Digests.sha256(BLOB);
    }

    /** What the fake does. */
    private String authMode = "bearer"; // bearer, basic, none
    private boolean cutFirstBlobTransfer;
    private boolean lieAboutManifestDigest;
    private final List<String> requests = new ArrayList<>();
    private ServerSocket server;
    private Thread thread;

    @BeforeEach
    void start() throws IOException {
        server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        thread = Thread.ofPlatform().daemon().start(() -> {
            while (!server.isClosed()) {
                try (Socket s = server.accept()) {
                    serve(s);
                } catch (IOException e) {
                    // closed: the test is over, or the client went away mid-response
                }
            }
        });
    }

    @AfterEach
    void stop() throws Exception {
        server.close();
        thread.join(5000);
    }

    private String host() {
        return "127.0.0.1:" + server.getLocalPort();
    }

    private synchronized void serve(Socket s) throws IOException {
        BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.ISO_8859_1));
        String line = in.readLine();
        if (line == null) return;
        Map<String, String> headers = new HashMap<>();
        for (String h; (h = in.readLine()) != null && !h.isEmpty(); ) {
            int colon = h.indexOf(':');
            headers.put(h.substring(0, colon).toLowerCase(), h.substring(colon + 1).trim());
        }
        String path = line.split(" ")[1];
        String auth = headers.getOrDefault("authorization", "");
        requests.add(line.split(" ")[0] + " " + path + (headers.containsKey("range") ? " " + headers.get("range") : "") + " [" + auth + "]");
        OutputStream out = s.getOutputStream();
        if (path.startsWith("/token?")) {
            if (!auth.equals("Basic " + Base64.getEncoder().encodeToString("user:secret".getBytes()))) {
                respond(out, 401, Map.of(), new byte[0]);
            } else {
                assertTrue(path.contains("scope=repository%3Atest%2Fimg%3Apull"), path);
                assertTrue(path.contains("service=fake"), path);
                respond(out, 200, Map.of("Content-Type", "application/json"), "{\"token\":\"T0K\"}".getBytes());
            }
            return;
        }
        boolean allowed = switch (authMode) {
            case "bearer" -> auth.equals("Bearer T0K");
            case "basic" -> auth.equals("Basic " + Base64.getEncoder().encodeToString("user:secret".getBytes()));
            default -> true;
        };
        if (!allowed) {
            String challenge = authMode.equals("bearer")
                    ? "Bearer realm=\"http://" + host() + "/token\",service=\"fake\",scope=\"repository:test/img:pull\""
                    : "Basic realm=\"fake\"";
            respond(out, 401, Map.of("WWW-Authenticate", challenge), new byte[0]);
            return;
        }
        if (path.equals("/v2/test/img/manifests/1")) {
            String digest = lieAboutManifestDigest ? "sha256:" + "0".repeat(64) : Digests.sha256(MANIFEST);
            respond(out, 200, Map.of("Content-Type", MediaTypes.OCI_MANIFEST, "Docker-Content-Digest", digest), MANIFEST);
        } else if (path.equals("/v2/test/img/blobs/" + BLOB_DIGEST)) {
            String range = headers.get("range");
            if (range != null) {
                int from = Integer.parseInt(range.replaceAll("bytes=(\\d+)-", "$1"));
                byte[] rest = java.util.Arrays.copyOfRange(BLOB, from, BLOB.length);
                respond(out, 206, Map.of("Content-Range", "bytes " + from + "-" + (BLOB.length - 1) + "/" + BLOB.length), rest);
            } else if (cutFirstBlobTransfer) {
                cutFirstBlobTransfer = false;
                out.write(("HTTP/1.1 200 OK\r\nContent-Length: " + BLOB.length + "\r\nConnection: close\r\n\r\n").getBytes());
                out.write(BLOB, 0, 100_000); // then the connection drops
                out.flush();
            } else {
                respond(out, 200, Map.of(), BLOB);
            }
        } else {
            respond(out, 404, Map.of(), new byte[0]);
        }
    }

    private static void respond(OutputStream out, int status, Map<String, String> headers, byte[] body) throws IOException {
        StringBuilder b = new StringBuilder("HTTP/1.1 " + status + " X\r\nContent-Length: " + body.length + "\r\nConnection: close\r\n");
        headers.forEach((k, v) -> b.append(k).append(": ").append(v).append("\r\n"));
        out.write(b.append("\r\n").toString().getBytes(StandardCharsets.ISO_8859_1));
        out.write(body);
        out.flush();
    }

    private RegistryClient client(Map<String, String> env) {
        return new RegistryClient(Reference.parse(host() + "/test/img:1"), HttpClient.newHttpClient(), env, false);
    }

    private static final Map<String, String> CREDENTIALS = Map.of("STRATA_REGISTRY_USER", "user", "STRATA_REGISTRY_PASSWORD", "secret",
            "HOME", "/nonexistent");

    @Test
    void bearerTokenFlowWithCredentialsFromTheEnvironment() throws Exception {
        RegistryClient.Manifest m = client(CREDENTIALS).manifest("1");
        assertArrayEquals(MANIFEST, m.body());
        assertEquals(Digests.sha256(MANIFEST), m.digest());
        assertEquals(MediaTypes.OCI_MANIFEST, m.mediaType());
        assertEquals(List.of("GET /v2/test/img/manifests/1 []", "GET /token?service=fake&scope=repository%3Atest%2Fimg%3Apull [Basic dXNlcjpzZWNyZXQ=]",
                "GET /v2/test/img/manifests/1 [Bearer T0K]"), requests);
    }

    @Test
    void credentialsFromDockerConfig(@TempDir Path home) throws Exception {
        Files.createDirectories(home.resolve(".docker"));
        Files.writeString(home.resolve(".docker/config.json"), "{\"auths\":{\"" + host() + "\":{\"auth\":\""
                + Base64.getEncoder().encodeToString("user:secret".getBytes()) + "\"}}}");
        assertArrayEquals(MANIFEST, client(Map.of("HOME", home.toString())).manifest("1").body());
        authMode = "basic";
        requests.clear();
        assertArrayEquals(MANIFEST, client(Map.of("HOME", home.toString())).manifest("1").body());
        assertEquals(List.of("GET /v2/test/img/manifests/1 []", "GET /v2/test/img/manifests/1 [Basic dXNlcjpzZWNyZXQ=]"), requests);
    }

    /** podman's auth.json ($REGISTRY_AUTH_FILE, else $XDG_RUNTIME_DIR/containers/auth.json) comes before docker's config.json. */
    @Test
    void credentialsFromPodmansAuthJson(@TempDir Path dir) throws Exception {
        Path runtime = Files.createDirectories(dir.resolve("run/containers"));
        Files.writeString(runtime.resolve("auth.json"), "{\"auths\":{\"" + host() + "\":{\"auth\":\""
                + Base64.getEncoder().encodeToString("user:secret".getBytes()) + "\"}}}");
        Files.createDirectories(dir.resolve(".docker"));
        Files.writeString(dir.resolve(".docker/config.json"), "{\"auths\":{\"" + host() + "\":{\"auth\":\""
                + Base64.getEncoder().encodeToString("user:wrong".getBytes()) + "\"}}}");
        authMode = "basic";
        requests.clear();
        assertArrayEquals(MANIFEST, client(Map.of("HOME", dir.toString(), "XDG_RUNTIME_DIR", dir.resolve("run").toString())).manifest("1").body());
        assertEquals("GET /v2/test/img/manifests/1 [Basic dXNlcjpzZWNyZXQ=]", requests.getLast());
        Path elsewhere = Files.writeString(dir.resolve("elsewhere.json"), "{\"auths\":{\"" + host() + "\":{\"auth\":\""
                + Base64.getEncoder().encodeToString("user:secret".getBytes()) + "\"}}}");
        Files.delete(runtime.resolve("auth.json"));
        requests.clear();
        assertArrayEquals(MANIFEST, client(Map.of("HOME", "/nonexistent", "REGISTRY_AUTH_FILE", elsewhere.toString())).manifest("1").body());
        assertEquals("GET /v2/test/img/manifests/1 [Basic dXNlcjpzZWNyZXQ=]", requests.getLast());
        Files.writeString(elsewhere, "{\"auths\": ");
        OciException broken = assertThrows(OciException.class,
                () -> client(Map.of("HOME", "/nonexistent", "REGISTRY_AUTH_FILE", elsewhere.toString())).manifest("1"));
        assertTrue(broken.getMessage().startsWith(elsewhere + ": not valid JSON"), broken.getMessage());
    }

    @Test
    void missingOrWrongCredentialsAreOneLineErrors() {
        OciException anonymous = assertThrows(OciException.class, () -> client(Map.of("HOME", "/nonexistent")).manifest("1"));
        assertEquals(host() + ": access denied by the token server (no credentials: strata login " + host() + ", or set STRATA_REGISTRY_USER and STRATA_REGISTRY_PASSWORD)",
                anonymous.getMessage());
        OciException wrong = assertThrows(OciException.class, () -> client(Map.of("STRATA_REGISTRY_USER", "user",
                "STRATA_REGISTRY_PASSWORD", "nope")).manifest("1"));
        assertEquals(host() + ": access denied by the token server (check the credentials)", wrong.getMessage());
        authMode = "basic";
        OciException basic = assertThrows(OciException.class, () -> client(Map.of("HOME", "/nonexistent")).manifest("1"));
        assertTrue(basic.getMessage().endsWith(": authentication required (strata login " + host() + ", or set STRATA_REGISTRY_USER and STRATA_REGISTRY_PASSWORD)"),
                basic.getMessage());
    }

    @Test
    void aBrokenTransferIsResumedWithARangeRequest(@TempDir Path dir) throws Exception {
        authMode = "none";
        cutFirstBlobTransfer = true;
        Path file = dir.resolve("blob");
        long[] progress = {0};
        client(Map.of()).downloadBlob(BLOB_DIGEST, BLOB.length, file, new runtime.api.source.SourceContext.Progress() {
            @Override
            public void advance(long bytes) {
                progress[0] += bytes;
            }

            @Override
            public void close() {}
        });
        assertArrayEquals(BLOB, Files.readAllBytes(file));
        assertEquals(BLOB.length, progress[0], "no byte counted twice");
        assertEquals(2, requests.size(), requests.toString());
        assertTrue(requests.get(1).matches("GET /v2/test/img/blobs/sha256:\\w+ bytes=\\d+- \\[]"), requests.toString());
        assertFalse(requests.get(1).contains("bytes=0-"), "resumed where the first transfer stopped");
    }

    @Test
    void digestMismatchesKeepNothing(@TempDir Path dir) throws Exception {
        authMode = "none";
        Path file = dir.resolve("blob");
        String wrong = "sha256:" + "1".repeat(64);
        // The fake serves BLOB only under its own digest: ask for it under another by aliasing the path.
        OciException notFound = assertThrows(OciException.class, () -> client(Map.of()).downloadBlob(wrong, BLOB.length, file, null));
        assertEquals("blob " + wrong + " of " + host() + "/test/img: not found", notFound.getMessage());
        OciException truncated = assertThrows(OciException.class, () -> client(Map.of()).downloadBlob(BLOB_DIGEST, BLOB.length + 10, file, null));
        assertTrue(truncated.getMessage().startsWith("blob " + BLOB_DIGEST + " of " + host() + "/test/img: truncated (got 300000 of 300010 bytes"),
                truncated.getMessage());
        assertFalse(Files.exists(file), "a failed download leaves no file");
        OciException tooLong = assertThrows(OciException.class, () -> client(Map.of()).downloadBlob(BLOB_DIGEST, BLOB.length - 1, file, null));
        assertTrue(tooLong.getMessage().endsWith("more data than its size 299999"), tooLong.getMessage());
        lieAboutManifestDigest = true;
        OciException manifest = assertThrows(OciException.class, () -> client(Map.of()).manifest("1"));
        assertEquals("manifest 1 of " + host() + "/test/img: digest mismatch (expected sha256:" + "0".repeat(64) + ", got "
                + Digests.sha256(MANIFEST) + ")", manifest.getMessage());
    }
}
