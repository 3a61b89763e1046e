package runtime.cli;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPOutputStream;

import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

/**
 * A real registry (Debian's docker-registry, the CNCF distribution server) on 127.0.0.1 with its
 * storage in a temp directory, for the OCI tests; plus what the tests need to seed it with images
 * strata would never push (hostile layers, manifest lists) and to tamper with its storage.
 */
final class Registry implements AutoCloseable {
    static final String BINARY = "/usr/bin/docker-registry";

    final Path dir;
    final Path storage;
    final Path log;
    final int port;
    private final Process process;
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    private Registry(Path dir, int port, Process process) {
        this.dir = dir;
        this.storage = dir.resolve("storage");
        this.log = dir.resolve("log");
        this.port = port;
        this.process = process;
    }

    static Registry start() throws Exception {
        return start("");
    }

    /** A registry with extra top-level configuration (e.g. an {@code auth:} section). */
    static Registry start(String extraConfig) throws Exception {
        if (!Files.isExecutable(Path.of(BINARY))) {
            throw new IllegalStateException(BINARY + " is missing: run scripts/test (as root it installs docker-registry)");
        }
        Path dir = Files.createTempDirectory("strata-registry-");
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        Path config = dir.resolve("config.yml");
        Files.writeString(config, """
                version: 0.1
                log:
                  level: info
                storage:
                  filesystem:
                    rootdirectory: %s
                http:
                  addr: 127.0.0.1:%d
                """.formatted(dir.resolve("storage"), port) + extraConfig);
        Process p = new ProcessBuilder(BINARY, "serve", config.toString()).redirectErrorStream(true)
                .redirectOutput(dir.resolve("log").toFile()).start();
        Registry r = new Registry(dir, port, p);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (true) {
            try {
                int status = r.http.send(HttpRequest.newBuilder(URI.create(r.url() + "/v2/")).build(), HttpResponse.BodyHandlers.discarding())
                        .statusCode();
                if (status == 200 || status == 401) return r;
            } catch (IOException notYet) {
                if (!p.isAlive() || System.nanoTime() > deadline) {
                    r.close();
                    throw new IllegalStateException("docker-registry did not start: " + Files.readString(dir.resolve("log")));
                }
                Thread.sleep(50);
            }
        }
    }

    String host() {
        return "127.0.0.1:" + port;
    }

    String url() {
        return "http://" + host();
    }

    /** How many blob downloads (GET) the registry served for {@code repository} so far. */
    long blobGets(String repository) throws IOException {
        String needle = "\"GET /v2/" + repository + "/blobs/";
        try (var lines = Files.lines(log)) {
            return lines.filter(l -> l.contains(needle)).count();
        }
    }

    /** How many manifest requests (GET or HEAD: a pull's first round trip) the registry served for {@code repository}. */
    long manifestRequests(String repository) throws IOException {
        String needle = " /v2/" + repository + "/manifests/";
        try (var lines = Files.lines(log)) {
            return lines.filter(l -> l.contains(needle)).count();
        }
    }

    long blobGets(String repository, String digest) throws IOException {
        String needle = "\"GET /v2/" + repository + "/blobs/" + digest;
        try (var lines = Files.lines(log)) {
            return lines.filter(l -> l.contains(needle)).count();
        }
    }

    /** The file the registry keeps a blob (or a manifest) in. */
    Path blobData(String digest) {
        String hex = digest.substring("sha256:".length());
        return storage.resolve("docker/registry/v2/blobs/sha256").resolve(hex.substring(0, 2)).resolve(hex).resolve("data");
    }

    static String sha256(byte[] data) throws Exception {
        return "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
    }

    /** Uploads a blob monolithically (POST, then PUT ?digest=) and returns its digest. */
    String putBlob(String repository, byte[] data) throws Exception {
        String digest = sha256(data);
        HttpResponse<Void> start = http.send(HttpRequest.newBuilder(URI.create(url() + "/v2/" + repository + "/blobs/uploads/"))
                .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.discarding());
        if (start.statusCode() != 202) throw new IllegalStateException("upload start: " + start.statusCode());
        String location = start.headers().firstValue("Location").orElseThrow();
        URI put = URI.create(url()).resolve(location + (location.contains("?") ? "&" : "?") + "digest=" + digest.replace(":", "%3A"));
        HttpResponse<String> done = http.send(HttpRequest.newBuilder(put).PUT(HttpRequest.BodyPublishers.ofByteArray(data)).build(),
                HttpResponse.BodyHandlers.ofString());
        if (done.statusCode() != 201) throw new IllegalStateException("upload: " + done.statusCode() + " " + done.body());
        return digest;
    }

    String putManifest(String repository, String reference, String mediaType, String json) throws Exception {
        byte[] body = json.getBytes(StandardCharsets.UTF_8);
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url() + "/v2/" + repository + "/manifests/" + reference))
                .header("Content-Type", mediaType).PUT(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 201) throw new IllegalStateException("manifest: " + r.statusCode() + " " + r.body());
        return sha256(body);
    }

    /** A one-layer image (gzip layer, OCI media types) with the given config "config" object; returns the manifest JSON. */
    String pushImage(String repository, String tag, byte[] layerTar, String configObject) throws Exception {
        byte[] gz = gzip(layerTar);
        String layer = putBlob(repository, gz);
        String config = "{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":" + configObject
                + ",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"" + sha256(layerTar) + "\"]}}";
        byte[] configBytes = config.getBytes(StandardCharsets.UTF_8);
        String configDigest = putBlob(repository, configBytes);
        String manifest = "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
                + "\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"" + configDigest + "\",\"size\":" + configBytes.length + "},"
                + "\"layers\":[{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+gzip\",\"digest\":\"" + layer + "\",\"size\":" + gz.length + "}]}";
        if (tag != null) putManifest(repository, tag, "application/vnd.oci.image.manifest.v1+json", manifest);
        return manifest;
    }

    /** An image of several layers, each stored as given: {mediaType, stored bytes, uncompressed tar}. */
    void pushLayers(String repository, String tag, List<Object[]> layers) throws Exception {
        StringBuilder diffIds = new StringBuilder();
        StringBuilder descriptors = new StringBuilder();
        for (Object[] l : layers) {
            byte[] stored = (byte[]) l[1];
            String digest = putBlob(repository, stored);
            diffIds.append(diffIds.isEmpty() ? "" : ",").append('"').append(sha256((byte[]) l[2])).append('"');
            descriptors.append(descriptors.isEmpty() ? "" : ",").append("{\"mediaType\":\"").append(l[0]).append("\",\"digest\":\"")
                    .append(digest).append("\",\"size\":").append(stored.length).append('}');
        }
        byte[] config = ("{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{},\"rootfs\":{\"type\":\"layers\",\"diff_ids\":["
                + diffIds + "]}}").getBytes(StandardCharsets.UTF_8);
        String configDigest = putBlob(repository, config);
        // Docker's media types this time: strata reads both.
        putManifest(repository, tag, "application/vnd.docker.distribution.manifest.v2+json",
                "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.docker.distribution.manifest.v2+json\",\"config\":{\"mediaType\":"
                        + "\"application/vnd.docker.container.image.v1+json\",\"digest\":\"" + configDigest + "\",\"size\":" + config.length
                        + "},\"layers\":[" + descriptors + "]}");
    }

    static byte[] zstd(byte[] data) throws Exception {
        Process p = new ProcessBuilder("zstd", "-q", "-c").start();
        Thread.ofVirtual().start(() -> {
            try (var in = p.getOutputStream()) {
                in.write(data);
            } catch (IOException ignored) {
                // zstd died: its exit code says so below
            }
        });
        byte[] out = p.getInputStream().readAllBytes();
        if (p.waitFor() != 0) throw new IllegalStateException("zstd failed");
        return out;
    }

    static byte[] gzip(byte[] data) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
            gz.write(data);
        }
        return out.toByteArray();
    }

    /** Builds small layer tars, hostile ones included. */
    static final class Tar {
        private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        private final TarArchiveOutputStream tar = new TarArchiveOutputStream(bytes);

        Tar file(String name, String content) throws IOException {
            byte[] data = content.getBytes(StandardCharsets.UTF_8);
            TarArchiveEntry e = new TarArchiveEntry(name, true);
            e.setMode(0100644);
            e.setSize(data.length);
            tar.putArchiveEntry(e);
            tar.write(data);
            tar.closeArchiveEntry();
            return this;
        }

        Tar symlink(String name, String target) throws IOException {
            TarArchiveEntry e = new TarArchiveEntry(name, TarArchiveEntry.LF_SYMLINK, true);
            e.setLinkName(target);
            tar.putArchiveEntry(e);
            tar.closeArchiveEntry();
            return this;
        }

        byte[] bytes() throws IOException {
            tar.finish();
            tar.close();
            return bytes.toByteArray();
        }
    }

    @Override
    public void close() throws Exception {
        process.destroy();
        if (!process.waitFor(10, TimeUnit.SECONDS)) process.destroyForcibly().waitFor();
        new ProcessBuilder("rm", "-rf", dir.toString()).start().waitFor();
    }
}
