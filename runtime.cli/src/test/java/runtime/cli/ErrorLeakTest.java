package runtime.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import java.util.zip.GZIPOutputStream;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Bad input of many kinds (values, variables, files, archives, registries that are not there or do not
 * speak TLS) through {@link Main#run}: each is refused with a non-zero exit and one line on stderr that
 * names no Java class (issue 20 item 6). A bad option or variable value is exit 2.
 */
class ErrorLeakTest {
    /** A qualified class name (java.io.IOException) or a bare one (NullPointerException, JsonParseException). */
    static final Pattern JAVA_CLASS = Pattern.compile(
            "\\b[a-z]+(\\.[a-z0-9_]+)+\\.[A-Z]\\w*(Exception|Error)\\b|\\b[A-Z][A-Za-z0-9]*(Exception|Error)\\b|\\bat [a-z]+(\\.\\w+)+\\(");

    @TempDir
    static Path dir;
    /** Accepts connections and answers in plain text: a registry that does not speak TLS. */
    static ServerSocket plain;
    /** A port nothing listens on. */
    static int closedPort;

    @BeforeAll
    static void servers() throws Exception {
        // 127.0.0.2: loopback, but not one of the addresses strata speaks plain HTTP to unasked (localhost, 127.0.0.1).
        plain = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.2"));
        Thread t = new Thread(() -> {
            while (!plain.isClosed()) {
                try (Socket s = plain.accept(); OutputStream o = s.getOutputStream()) {
                    o.write("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                } catch (Exception e) {
                    // closed: the test is over
                }
            }
        });
        t.setDaemon(true);
        t.start();
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = s.getLocalPort();
        }
    }

    @AfterAll
    static void close() throws Exception {
        plain.close();
    }

    record Case(String what, List<String> args, Map<String, String> env, byte[] stdin, int exit) {
        @Override
        public String toString() {
            return what;
        }
    }

    static Case bad(String what, int exit, String... args) {
        return new Case(what, List.of(args), Map.of(), new byte[0], exit);
    }

    static Case badEnv(String what, Map<String, String> env, String... args) {
        return new Case(what, List.of(args), env, new byte[0], 2);
    }

    static Stream<Arguments> cases() throws Exception {
        Path badJson = Files.writeString(dir.resolve("bad.json"), "{\"defaultAction\": ");
        Path objectManifest = dir.resolve("object-manifest.tar");
        Files.write(objectManifest, tar("manifest.json", "{\"Config\": \"x.json\"}"));
        Path garbageManifest = dir.resolve("garbage-manifest.tar");
        Files.write(garbageManifest, tar("manifest.json", "[{\"Config\": "));
        Path layout = Files.createDirectories(dir.resolve("layout"));
        Files.writeString(layout.resolve("oci-layout"), "{\"imageLayoutVersion\": \"1.0.0\"}");
        Files.writeString(layout.resolve("index.json"), "{\"manifests\": 7}");
        Path badToml = Files.writeString(dir.resolve("bad.toml"), "image = [\n");
        ByteArrayOutputStream gz = new ByteArrayOutputStream();
        try (GZIPOutputStream g = new GZIPOutputStream(gz)) {
            g.write(tar("a", "x".repeat(100_000)));
        }
        byte[] truncatedGzip = java.util.Arrays.copyOf(gz.toByteArray(), gz.size() / 2);
        String plainRegistry = "127.0.0.2:" + plain.getLocalPort();
        String closedRegistry = "127.0.0.1:" + closedPort;
        List<Case> all = new ArrayList<>(List.of(
                bad("run --cpus 1000", 2, "run", "-I", "--cpus", "1000", "nosuch", "true"),
                bad("run --cpus NaN", 2, "run", "-I", "--cpus", "NaN", "nosuch", "true"),
                bad("run --memory overflowing", 2, "run", "-I", "--memory", "99999999999999999g", "nosuch", "true"),
                bad("run --memory 1k", 2, "run", "-I", "--memory", "1k", "nosuch", "true"),
                bad("run --pids -1", 2, "run", "-I", "--pids", "-1", "nosuch", "true"),
                bad("run --pull sometimes", 2, "run", "--pull", "sometimes", "nosuch", "true"),
                bad("run --hostname with a slash", 2, "run", "-I", "--hostname", "a/b", "nosuch", "true"),
                bad("run --seccomp missing file", 2, "run", "-I", "--seccomp", dir.resolve("none.json").toString(), "nosuch"),
                bad("run --seccomp bad JSON", 2, "run", "-I", "--seccomp", badJson.toString(), "nosuch"),
                bad("run --cap-add unknown", 2, "run", "-I", "--cap-add", "CAP_PIGEON", "nosuch"),
                bad("run --env-file a directory", 2, "run", "--env-file", dir.toString(), "nosuch"),
                bad("run --env-file missing", 2, "run", "--env-file", dir.resolve("none").toString(), "nosuch"),
                bad("run --entrypoint bad JSON", 2, "run", "--entrypoint", "[1,", "nosuch"),
                bad("run -e =x", 2, "run", "-e", "=x", "nosuch"),
                bad("run --workdir relative", 2, "run", "-w", "rel", "nosuch"),
                bad("run --bind empty source", 2, "run", "--bind", ":/x", "nosuch"),
                bad("run limits without -I", 2, "run", "--cpus", "1", "nosuch"),
                bad("run -e without a value", 2, "run", "-e"),
                bad("run an unknown option", 2, "run", "--pigeon", "nosuch"),
                bad("stop --timeout abc", 2, "stop", "--timeout", "abc", "nosuch"),
                bad("kill --signal PIGEON", 2, "kill", "--signal", "PIGEON", "nosuch"),
                bad("check-image --format yaml", 2, "check-image", "--format", "yaml", "nosuch"),
                bad("images with an argument", 2, "images", "extra"),
                bad("run a missing image", 125, "run", "nosuch", "true"),
                bad("inspect a missing container", 125, "inspect", "nosuch"),
                bad("export-tar a missing image", 125, "export-tar", "nosuch", dir.resolve("out.tar").toString()),
                bad("run -f a missing manifest", 125, "run", "-f", dir.resolve("none.toml").toString()),
                bad("validate a broken manifest", 1, "validate", badToml.toString()),
                bad("pull docker-archive whose manifest.json is an object", 125, "pull", "docker-archive:" + objectManifest),
                bad("pull docker-archive whose manifest.json is not JSON", 125, "pull", "docker-archive:" + garbageManifest),
                bad("pull docker-archive missing", 125, "pull", "docker-archive:" + dir.resolve("none.tar")),
                bad("pull oci-layout with a bad index", 125, "pull", "oci-layout:" + layout + ":1"),
                bad("pull from a registry that is not there", 125, "pull", "oci:" + closedRegistry + "/app:1"),
                bad("pull over TLS from a plain-HTTP server", 125, "pull", "oci:" + plainRegistry + "/app:1"),
                bad("push a missing image", 125, "push", "nosuch", "oci:" + closedRegistry + "/app:1"),
                bad("login without a user", 2, "login", "--password-stdin", "127.0.0.1:" + closedPort),
                bad("login to a bad registry", 2, "login", "-u", "a", "-p", "b", "no registry!"),
                bad("login to a registry that is not there", 125, "login", "-u", "a", "-p", "b", closedRegistry),
                bad("logout when not logged in", 125, "logout", closedRegistry),
                bad("tag a missing image", 125, "tag", "nosuch", "x:1"),
                bad("tag with a bad name", 2, "tag", "nosuch", "bad name!"),
                bad("history of a missing image", 125, "history", "nosuch"),
                bad("rmi of a missing image", 1, "rmi", "nosuch"),
                bad("images --format with an unknown field", 2, "images", "--format", "{{.Pigeon}}"),
                bad("ps -q with --format", 2, "ps", "-q", "--format", "json"),
                new Case("pull a short name nothing configures", List.of("pull", "nothing-here"),
                        Map.of("CONTAINERS_REGISTRIES_CONF", badJson.resolveSibling("none.conf").toString()), new byte[0], 125),
                new Case("pull a short name with a broken registries.conf", List.of("pull", "app:1"),
                        Map.of("CONTAINERS_REGISTRIES_CONF", badJson.toString()), new byte[0], 125),
                badEnv("STRATA_IDMAP=bogus", Map.of("STRATA_IDMAP", "bogus"), "images"),
                badEnv("STRATA_PLATFORM=foo", Map.of("STRATA_PLATFORM", "foo"), "images"),
                badEnv("STRATA_PLATFORM with a blank", Map.of("STRATA_PLATFORM", "linux/amd 64"), "images"),
                badEnv("STRATA_MAX_LAYER_SIZE=lots", Map.of("STRATA_MAX_LAYER_SIZE", "lots"), "images"),
                badEnv("STRATA_MAX_LAYER_ENTRIES=-4", Map.of("STRATA_MAX_LAYER_ENTRIES", "-4"), "images"),
                badEnv("STRATA_PUSH_CHUNK_SIZE=0", Map.of("STRATA_PUSH_CHUNK_SIZE", "0"), "images"),
                new Case("pull a plain-HTTP registry that answers 400", List.of("pull", "oci:" + plainRegistry + "/app:1"),
                        Map.of("STRATA_INSECURE_REGISTRIES", plainRegistry), new byte[0], 125),
                new Case("import-tar of random bytes", List.of("import-tar", "-"), Map.of(), random(4096), 125),
                new Case("import-tar of a cut gzip", List.of("import-tar", "-"), Map.of(), truncatedGzip, 125)));
        return all.stream().map(Arguments::of);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void oneLineNamingNoJavaClass(Case c) throws Exception {
        Map<String, String> env = new HashMap<>(c.env());
        env.put("STRATA_DATA", dir.resolve("data").toString());
        env.put("PATH", "/usr/bin:/bin");
        env.put("XDG_RUNTIME_DIR", Files.createDirectories(dir.resolve("run")).toString());
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Main.run(TestContexts.of(c.args(), env, dir, new ByteArrayInputStream(c.stdin()), new PrintStream(out, true),
                new PrintStream(err, true)));
        String text = err.toString(StandardCharsets.UTF_8);
        assertNotEquals(0, code, c + " succeeded: " + out);
        assertEquals(c.exit(), code, c + ": " + text);
        assertEquals(1, text.lines().count(), c + ": one line, not: " + text);
        assertTrue(text.startsWith("strata") || text.startsWith(dir.toString()), text); // validate's lines: FILE:LINE:COL: ...
        assertFalse(JAVA_CLASS.matcher(text).find(), c + " names a Java class: " + text);
    }

    /** The scan above would see a leak: the pattern finds every form one takes. */
    @Test
    void thePatternFindsLeaks() {
        for (String leak : List.of("strata: NullPointerException", "strata: java.io.FileNotFoundException: x (No such file)",
                "strata: IOException: tar failed", "strata: com.fasterxml.jackson.core.JsonParseException: Unexpected",
                "strata: Unexpected end: javax.net.ssl.SSLHandshakeException", "strata: OutOfMemoryError",
                "\tat runtime.core.Engine.run(Engine.java:12)")) {
            assertTrue(JAVA_CLASS.matcher(leak).find(), leak);
        }
        for (String fine : List.of("strata: no image 'x' (strata images lists them)", "strata: registry did not speak TLS",
                "strata run: --cpus: bad cpus '1000': want 0.01 to 2")) {
            assertFalse(JAVA_CLASS.matcher(fine).find(), fine);
        }
    }

    /** What Main makes of exceptions that carry no message meant for people. */
    @Test
    void exceptionsWithoutAUsefulMessageNameNoClass() {
        for (Throwable t : List.<Throwable>of(new NullPointerException("Cannot invoke \"String.length()\" because \"x\" is null"),
                new RuntimeException(new java.io.IOException("java.io.EOFException: cut")), new java.io.IOException(),
                new IllegalStateException("java.util.zip.ZipException: Unexpected end of ZLIB input stream"),
                new java.io.UncheckedIOException(new java.io.FileNotFoundException("x (No such file or directory)")))) {
            String line = Main.message(t);
            assertFalse(JAVA_CLASS.matcher(line).find(), line);
            assertFalse(line.isBlank(), t.toString());
        }
    }

    private static byte[] tar(String name, String content) throws Exception {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        try (var t = new org.apache.commons.compress.archivers.tar.TarArchiveOutputStream(b)) {
            byte[] data = content.getBytes(StandardCharsets.UTF_8);
            var e = new org.apache.commons.compress.archivers.tar.TarArchiveEntry(name);
            e.setSize(data.length);
            t.putArchiveEntry(e);
            t.write(data);
            t.closeArchiveEntry();
        }
        return b.toByteArray();
    }

    private static byte[] random(int n) {
        byte[] b = new byte[n];
        new java.util.Random(20).nextBytes(b);
        return b;
    }
}
