package runtime.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import runtime.cli.Installation.Mode;
import runtime.cli.Installation.Result;

/**
 * squish's seven end-to-end scenarios (its test/e2e: a container starts, a port is forwarded, a file is
 * bound read-only, another Alpine version comes over HTTP, env vars reach it, a file is bound read-write,
 * it has its own pid namespace), and an SDK layer from its roadmap, each from a squishfile in squish's format, through the daemon
 * ({@code strata serve}) and through the CLI alone, as root and rootless. As squish's tests do, each one
 * starts the container with {@code strata start}, checks {@code strata ps} shows one, asks the container's
 * HTTP server on the forwarded port, and stops it. squish's tree is rebuilt here: its http-asm server is
 * busybox httpd behind a script of the same arguments, and the Alpine mirror (python3's http.server on
 * 127.0.0.1) serves minirootfs tars of 3.13 and 3.14 made from scripts/busybox-rootfs.
 */
class SquishScenariosIT {
    static Installation strata;
    static Process mirror;
    static String mirrorUrl;

    @BeforeAll
    static void serveAlpineMirror() throws Exception {
        strata = Installation.get();
        Path srv = Files.createTempDirectory(strata.home, "alpine-mirror-");
        String arch = switch (sh("dpkg --print-architecture").strip()) {
            case "amd64" -> "x86_64";
            case "arm64" -> "aarch64";
            default -> sh("dpkg --print-architecture").strip();
        };
        for (String release : List.of("3.13.11", "3.14.10")) {
            String branch = "v" + release.substring(0, release.lastIndexOf('.'));
            Path dir = Files.createDirectories(srv.resolve(branch + "/releases/" + arch));
            Path root = Files.createTempDirectory(strata.home, "minirootfs-");
            sh("tar -xf " + strata.rootfsTar + " -C " + root + " && printf '" + release + "\\n' > " + root + "/etc/alpine-release");
            String file = "alpine-minirootfs-" + release + "-" + arch + ".tar.gz";
            sh("tar --numeric-owner --owner=0 --group=0 -czf " + dir.resolve(file) + " -C " + root + " .");
            String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(dir.resolve(file))));
            Files.writeString(dir.resolve("latest-releases.yaml"), """
                    ---
                    -
                      title: "Mini root filesystem"
                      flavor: alpine-minirootfs
                      version: %s
                      file: %s
                      sha256: %s
                    """.formatted(release, file, sha));
        }
        Installation.exec(List.of("chmod", "-R", "a+rX", srv.toString()));
        mirror = new ProcessBuilder("python3", "-u", "-m", "http.server", "--bind", "127.0.0.1", "--directory", srv.toString(), "0")
                .redirectErrorStream(false).start();
        BufferedReader out = new BufferedReader(new InputStreamReader(mirror.getInputStream(), StandardCharsets.UTF_8));
        Matcher m = Pattern.compile("port (\\d+)").matcher(out.readLine());
        assertTrue(m.find(), "python http.server did not say its port");
        mirrorUrl = "http://127.0.0.1:" + m.group(1);
        Thread.ofVirtual().start(() -> out.lines().forEach(l -> { })); // drain
    }

    @AfterAll
    static void stopMirror() throws Exception {
        if (mirror != null) {
            mirror.destroy();
            mirror.waitFor(10, TimeUnit.SECONDS);
        }
    }

    static Stream<Arguments> modesAndPaths() {
        List<Arguments> all = new ArrayList<>();
        for (Mode mode : Mode.values()) {
            all.add(Arguments.of(mode, true));
            all.add(Arguments.of(mode, false));
        }
        return all.stream();
    }

    @ParameterizedTest(name = "{0}, through the daemon: {1}")
    @MethodSource("modesAndPaths")
    void squishsEndToEndScenariosPass(Mode mode, boolean throughDaemon) throws Exception {
        strata.assumeMode(mode);
        Path data = strata.newStore(mode);
        Path tree = strata.newWorkDirectory(mode);
        Path socket = data.resolve("squishd.sock");
        // Without the daemon, the socket named here does not exist: every command acts directly.
        Map<String, String> env = Map.of("STRATA_SOCKET", socket.toString(), "STRATA_ALPINE_MIRROR", mirrorUrl);
        int port;
        try (ServerSocket free = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = free.getLocalPort();
        }
        currentPort = port;
        SquishTree.write(tree, port);
        owned(mode, tree);
        Process daemon = throughDaemon ? strata.start(mode, data, tree, env, "serve", "--socket", socket.toString()) : null;
        try {
            if (daemon != null) DaemonIT.awaitListening(socket, tree);
            // 001: the container starts (and is the one listed).
            scenario(mode, data, tree, env, "default.toml", () -> { });
            // 002: a port forward reaches the container's server.
            scenario(mode, data, tree, env, "default.toml", () -> assertEquals(200, get(port, "/").statusCode()));
            // 003: a file bound read-only reads as on the host.
            scenario(mode, data, tree, env, "default.toml", () ->
                    assertEquals(Files.readString(tree.resolve("Cargo.toml")), get(port, "/Cargo.toml").body()));
            // 004: another Alpine version, fetched over HTTP from the mirror.
            scenario(mode, data, tree, env, "squishfiles/004-squishfile-3.13.toml", () ->
                    assertEquals("3.13.11", get(port, "/alpine-release").body().strip()));
            // 005: env vars reach the container.
            scenario(mode, data, tree, env, "squishfiles/005-squishfile-port-env.toml", () ->
                    assertEquals(SquishTree.TEST_KEY, get(port, "/asdf").body().strip()));
            // 006: a file bound read-write is written through.
            Files.writeString(tree.resolve("support/006-scratch"), "");
            scenario(mode, data, tree, env, "squishfiles/006-squishfile-rw-mount.toml", () -> {
                assertEquals("asdf", get(port, "/scratch").body());
                assertEquals("asdf", Files.readString(tree.resolve("support/006-scratch")), "and the host's file changed");
            });
            // 007: its own pid namespace: its script is pid 2, under the container's init, as under squish's pid1.
            Files.writeString(tree.resolve("support/007-scratch"), "");
            scenario(mode, data, tree, env, "squishfiles/007-squishfile-pid-ns.toml", () ->
                    assertEquals(SquishTree.SCRIPT_PID, get(port, "/scratch").body().strip()));
            // Beyond the seven, squish's roadmap: a versioned SDK layer (tools = "1.0") is the store's image tools:1.0
            // (two layers: busybox and a build step), read-only at /sdk/tools.
            Result sdk = strata.strata(mode, data, "build", "--from", strata.importBusybox(mode, data), "--run",
                    "mkdir -p /opt/tools && echo tools-1.0 > /opt/tools/VERSION");
            assertEquals(0, sdk.exitCode(), sdk.err());
            assertEquals(0, strata.strata(mode, data, "map", "tools:1.0", sdk.line()).exitCode());
            scenario(mode, data, tree, env, "squishfiles/008-squishfile-sdk.toml", () ->
                    assertEquals("tools-1.0", get(port, "/VERSION").body().strip()));
        } finally {
            if (daemon != null) DaemonIT.stop(daemon);
        }
    }

    interface Check {
        void run() throws Exception;
    }

    /** squish's start_container, the scenario, then its stop_container: one container at a time. */
    private static void scenario(Mode mode, Path data, Path tree, Map<String, String> env, String squishfile, Check check)
            throws Exception {
        Result started = strata.strata(mode, data, tree, env, null, "start", tree.resolve(squishfile).toString());
        assertEquals(0, started.exitCode(), squishfile + ": " + started.err() + started.out());
        String id = started.line();
        try {
            assertEquals(1, running(mode, data, tree, env), "one container runs");
            awaitServing(squishfile);
            check.run();
        } finally {
            Result stop = strata.strata(mode, data, tree, env, null, "stop", "--timeout", "5", id);
            assertEquals(0, stop.exitCode(), stop.err());
            if (env.containsKey("STRATA_SOCKET") && Files.exists(Path.of(env.get("STRATA_SOCKET")))) {
                assertEquals(0, strata.strata(mode, data, tree, env, null, "delete", id).exitCode());
            }
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (running(mode, data, tree, env) != 0 && System.nanoTime() < deadline) Thread.sleep(100);
        assertEquals(0, running(mode, data, tree, env), "none runs after stop");
        // Its slirp4netns lets go of the port a moment after the container ended: the next scenario needs it.
        while (!portFree(currentPort) && System.nanoTime() < deadline) Thread.sleep(100);
        assertTrue(portFree(currentPort), "port " + currentPort + " is free again after stop");
    }

    private static boolean portFree(int port) {
        try (ServerSocket s = new ServerSocket()) {
            s.setReuseAddress(true);
            s.bind(new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), port));
            return true;
        } catch (java.io.IOException e) {
            return false;
        }
    }

    /** The host port of this test's squishfiles (squish's 42069 taken by nothing else here: a free one). */
    private static int currentPort;

    private static void awaitServing(String squishfile) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        Exception last = null;
        while (System.nanoTime() < deadline) {
            try {
                get(currentPort, "/");
                return;
            } catch (java.io.IOException e) {
                last = e;
                Thread.sleep(100);
            }
        }
        throw new AssertionError(squishfile + ": the container's server never answered on 127.0.0.1:" + currentPort, last);
    }

    private static int running(Mode mode, Path data, Path tree, Map<String, String> env) throws Exception {
        Result ps = strata.strata(mode, data, tree, env, null, "ps");
        assertEquals(0, ps.exitCode(), ps.err());
        return (int) ps.out().lines().skip(1).count(); // as squish counts: the lines under the header
    }

    private static HttpResponse<String> get(int port, String path) throws Exception {
        try (HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build()) {
            return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(30)).build(),
                    HttpResponse.BodyHandlers.ofString());
        }
    }

    private static void owned(Mode mode, Path tree) throws Exception {
        if (mode == Mode.ROOTLESS && strata.runningAsRoot) Installation.exec(List.of("chown", "-R", Installation.TEST_USER + ":", tree.toString()));
    }

    private static String sh(String script) throws Exception {
        Process p = new ProcessBuilder("sh", "-c", script).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), script + ": " + out);
        return out;
    }

    /** squish's test tree: its squishfiles (in its format, its port replaced by a free one) and support scripts. */
    record SquishTree(Path root) {
        static final String TEST_KEY = "ed4a92f174398375a5a036f5b06b61984d977640ff03e55288a5c62c7e8fcd0c";
        static final String SCRIPT_PID = "2";

        static SquishTree write(Path root, int port) throws Exception {
            Files.createDirectories(root.resolve("squishfiles"));
            Files.createDirectories(root.resolve("support"));
            Files.createDirectories(root.resolve("cli/src"));
            Files.writeString(root.resolve("Cargo.toml"), "[workspace]\nmembers = [\"cli\"]\n");
            Files.writeString(root.resolve("cli/src/main.rs"), "fn main() {}\n");
            // squish's http-asm PORT DIR: a static file server that answers 200 on / (busybox httpd gives a
            // directory without index.html 404, so it serves a /tmp tree of links to DIR's entries and an index).
            executable(root.resolve("http-asm"), """
                    #!/bin/sh
                    set -e
                    www=$(mktemp -d)
                    for f in "$2"/*; do ln -s "$f" "$www/"; done
                    echo ok > "$www/index.html"
                    exec httpd -f -p "$1" -h "$www"
                    """);
            executable(root.resolve("support/005-env-to-tmp-and-run.sh"), "#!/bin/sh\n\necho $TEST_KEY > /tmp/asdf\n/app/http-asm 2000 /tmp\n");
            executable(root.resolve("support/006-rewrite-mounted-file.sh"), "#!/bin/sh\n\nset -e\n\necho -n \"asdf\" >> /app/scratch\n/app/http-asm 2000 /app\n");
            executable(root.resolve("support/007-pid-ns-check.sh"), "#!/bin/sh\n\nset -e\n\necho $$ >> /app/scratch 2>&1\n/app/http-asm 2000 /app\n");
            Files.writeString(root.resolve("support/006-scratch"), "");
            Files.writeString(root.resolve("support/007-scratch"), "");
            String ports = "\n[[ports]]\ncontainer = 2000\nhost = " + port + "\nprotocol = \"tcp\"\n";
            String env = "\n[env]\nKEY = \"value\"\nIN_SQUISH_CONTAINER = \"true\"\n";
            Files.writeString(root.resolve("default.toml"), """
                    [layers]
                    alpine = "3.14"
                    cargo-toml = { path = "./Cargo.toml", target = "/app/Cargo.toml" }
                    cli = { path = "./cli", target = "/app/cli" }
                    app = "./http-asm"

                    [run]
                    command = "/app/http-asm"
                    args = ["2000", "/app"]
                    """ + env + ports);
            Files.writeString(root.resolve("squishfiles/004-squishfile-3.13.toml"), """
                    [layers]
                    alpine = "3.13"
                    app = "../http-asm"

                    [run]
                    command = "/app/http-asm"
                    args = ["2000", "/etc"]
                    """ + env + ports);
            Files.writeString(root.resolve("squishfiles/005-squishfile-port-env.toml"), """
                    [layers]
                    alpine = "3.13"
                    runner = { path = "../support/005-env-to-tmp-and-run.sh", target = "/app/run.sh" }
                    app = "../http-asm"

                    [run]
                    command = "/app/run.sh"
                    args = []

                    [env]
                    TEST_KEY = "%s"
                    """.formatted(TEST_KEY) + ports);
            Files.writeString(root.resolve("squishfiles/006-squishfile-rw-mount.toml"), """
                    [layers]
                    alpine = "3.14"
                    cargo-toml = { path = "../Cargo.toml", target = "/app/Cargo.toml" }
                    scratch-file = { path = "../support/006-scratch", target = "/app/scratch", rw = true }
                    runner = { path = "../support/006-rewrite-mounted-file.sh", target = "/app/run.sh" }
                    app = "../http-asm"

                    [run]
                    command = "/app/run.sh"
                    args = []
                    """ + env + ports);
            Files.writeString(root.resolve("squishfiles/007-squishfile-pid-ns.toml"), """
                    [layers]
                    alpine = "3.14"
                    scratch-file = { path = "../support/007-scratch", target = "/app/scratch", rw = true }
                    runner = { path = "../support/007-pid-ns-check.sh", target = "/app/run.sh" }
                    app = "../http-asm"

                    [run]
                    command = "/app/run.sh"
                    args = []
                    """ + env + ports);
            Files.writeString(root.resolve("squishfiles/008-squishfile-sdk.toml"), """
                    [layers]
                    alpine = "3.14"
                    tools = "1.0"
                    app = "../http-asm"

                    [run]
                    command = "/app/http-asm"
                    args = ["2000", "/sdk/tools/opt/tools"]
                    """ + env + ports);
            return new SquishTree(root);
        }

        private static void executable(Path file, String text) throws Exception {
            Files.writeString(file, text);
            Files.setPosixFilePermissions(file, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        }
    }
}
