package runtime.core.manifest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ManifestParserTest {
    @TempDir
    Path dir;

    @Test
    void readsAFullManifest() throws Exception {
        Files.createDirectories(dir.resolve("site"));
        Manifest m = ManifestParser.parse("""
                image = "busybox"
                command = ["httpd", "-f"]
                name = "web"
                network = "slirp4netns"
                ports = ["8080:80", "127.0.0.1:5353:53/udp"]
                env = { GREETING = "hi", WORKERS = 4 }
                read_only = true
                [[mount]]
                source = "site"
                target = "/srv"
                [limits]
                memory = "64m"
                pids = 20
                cpus = 0.5
                [security]
                seccomp = "unconfined"
                cap_add = ["NET_RAW"]
                """, "web.toml", dir);
        assertEquals(Optional.of("busybox"), m.image());
        assertEquals(List.of("httpd", "-f"), m.command());
        assertEquals(Map.of("GREETING", "hi", "WORKERS", "4"), m.env());
        assertEquals(List.of(new Manifest.Mount(dir.resolve("site").toString(), "/srv", false)), m.mounts());
        assertEquals(64L << 20, m.limits().memoryBytes().getAsLong());
        assertEquals(20, m.limits().pids().getAsLong());
        assertEquals(0.5, m.limits().cpus().getAsDouble());
        assertEquals("unconfined", m.security().seccomp());
        assertTrue(m.readOnly());
    }

    @Test
    void everyProblemIsReportedWithItsLineInOrder() {
        ManifestParser.InvalidManifestException e = assertThrows(ManifestParser.InvalidManifestException.class,
                () -> ManifestParser.parse("""
                        image = "x"
                        ports = ["80"]
                        network = "pigeon/1"
                        colour = "blue"
                        [limits]
                        pids = -1
                        """, "m.toml", dir));
        List<String> p = e.problems();
        assertEquals("m.toml:2:1: ports: '80' is not [IP:]HOST:CONTAINER[/tcp|udp]", p.get(0));
        assertTrue(p.contains("m.toml:3:1: network: 'pigeon/1' is not none, host, slirp4netns or a network's name (strata network create)"), p.toString());
        assertTrue(p.stream().anyMatch(s -> s.startsWith("m.toml:4:1: colour: unknown key")), p.toString());
        assertTrue(p.stream().anyMatch(s -> s.startsWith("m.toml:6:1: limits.pids: bad pids limit")), p.toString());
        assertEquals(p.stream().sorted((a, b) -> Integer.compare(line(a), line(b))).toList(), p, "sorted by line");
    }

    private static int line(String problem) {
        return Integer.parseInt(problem.split(":")[1]);
    }

    @Test
    void syntaxErrorsCarryThePosition() {
        ManifestParser.InvalidManifestException e = assertThrows(ManifestParser.InvalidManifestException.class,
                () -> ManifestParser.parse("image = \"unterminated\n", "b.toml", dir));
        assertTrue(e.problems().getFirst().startsWith("b.toml:1:"), e.getMessage());
        assertEquals("b.toml:1:1: either image or build is required", assertThrows(ManifestParser.InvalidManifestException.class,
                () -> ManifestParser.parse("name = \"x\"\n", "b.toml", dir)).problems().getFirst());
    }

    @Test
    void anInvalidEscapeInAQuotedKeyIsAProblemNotACrash() {
        // Found by the fuzzer: tomlj throws for this instead of reporting it.
        ManifestParser.InvalidManifestException e = assertThrows(ManifestParser.InvalidManifestException.class,
                () -> ManifestParser.parse("[\"\\E\"]\n", "f.toml", dir));
        assertTrue(e.problems().getFirst().startsWith("f.toml:1:"), e.getMessage());
        assertTrue(e.problems().getFirst().contains("Invalid escape sequence"), e.getMessage());
    }

    @Test
    void aMountFieldOfTheWrongTypeIsOneProblemNotACrash() {
        // Found by the fuzzer in CI: a non-string target was reported and then dereferenced.
        ManifestParser.InvalidManifestException e = assertThrows(ManifestParser.InvalidManifestException.class,
                () -> ManifestParser.parse("image = \"x\"\n[[mount]]\nsource = \".\"\ntarget = 5\n", "t.toml", dir));
        assertEquals(List.of("t.toml:3:1: mount[0]: target must be a string"), e.problems());
    }

    @Test
    void securityOptionsAreCheckedLikeLimits() {
        List<String> p = assertThrows(ManifestParser.InvalidManifestException.class, () -> ManifestParser.parse("""
                image = "x"
                [security]
                seccom = "unconfined"
                seccomp = 5
                cap_add = ["net_raw", "ALL", "NET_BIND_SERVIC"]
                [limits]
                memroy = "1g"
                """, "s.toml", dir)).problems();
        assertEquals(List.of("s.toml:3:1: security.seccom: unknown security option (cap_add, cap_drop, seccomp)",
                "s.toml:4:1: security.seccomp: must be a string",
                "s.toml:5:1: security.cap_add: unknown capability NET_BIND_SERVIC",
                "s.toml:7:1: limits.memroy: unknown limit (cpus, memory, pids)"), p);
        assertEquals(List.of("s.toml:2:1: security: must be a table: [security]"), assertThrows(
                ManifestParser.InvalidManifestException.class,
                () -> ManifestParser.parse("image = \"x\"\nsecurity = 5\n", "s.toml", dir)).problems());
    }

    @Test
    void aCapabilityBothAddedAndDroppedIsAProblemAtValidateTime() {
        assertEquals(List.of("s.toml:4:1: security.cap_drop: capability NET_RAW is both added and dropped; keep one of the two"),
                assertThrows(ManifestParser.InvalidManifestException.class, () -> ManifestParser.parse("""
                        image = "x"
                        [security]
                        cap_add = ["NET_RAW"]
                        cap_drop = ["net_raw"]
                        """, "s.toml", dir)).problems());
    }

    /** squish's manifest format (its default.toml's shape): read as a dialect, laid out as squish lays it out. */
    @Test
    void readsASquishfile() throws Exception {
        Files.writeString(dir.resolve("Cargo.toml"), "[package]\n");
        Files.createDirectories(dir.resolve("cli"));
        Files.writeString(dir.resolve("server"), "#!/bin/sh\n");
        Files.createDirectories(dir.resolve("support"));
        Files.writeString(dir.resolve("support/scratch"), "");
        Manifest m = ManifestParser.parse("""
                [layers]
                alpine = "3.14"
                cargo-toml = { path = "./Cargo.toml", target = "/app/Cargo.toml" }
                cli = { path = "./cli", target = "/app/cli" }
                scratch = { path = "./support/scratch", target = "/app/scratch", rw = true }
                app = "./server"

                [run]
                command = "/app/server"
                args = ["2000", "/app"]

                [env]
                KEY = "value"

                [[ports]]
                container = 2000
                host = 42069
                protocol = "tcp"
                """, "default.toml", dir);
        assertEquals(Optional.of("alpine-release:3.14"), m.image());
        assertEquals(List.of("/app/server", "2000", "/app"), m.command());
        assertEquals(Map.of("KEY", "value"), m.env());
        assertEquals(List.of("127.0.0.1:42069:2000/tcp"), m.ports());
        assertEquals("slirp4netns", m.network());
        assertTrue(m.readOnly(), "squish's rootfs is read-only");
        assertEquals(List.of(
                new Manifest.Mount(dir.resolve("Cargo.toml").toString(), "/app/Cargo.toml", true),
                new Manifest.Mount(dir.resolve("cli").toString(), "/app/cli", true),
                new Manifest.Mount(dir.resolve("support/scratch").toString(), "/app/scratch", false),
                new Manifest.Mount(dir.resolve("server").toString(), "/app/server", true)), m.mounts());
    }

    @Test
    void everySquishfileProblemIsReportedWithItsLine() {
        ManifestParser.InvalidManifestException e = assertThrows(ManifestParser.InvalidManifestException.class,
                () -> ManifestParser.parse("""
                        [layers]
                        alpine = 3
                        python = "3 9"
                        gone = "./missing"
                        [run]
                        args = [1]
                        [[ports]]
                        container = 70000
                        host = 8080
                        protocol = "sctp"
                        """, "s.toml", dir));
        assertEquals(List.of(
                "s.toml:2:1: layers.alpine: must be an Alpine release branch such as \"3.14\"",
                "s.toml:3:1: layers.python: must be a version (letters, digits and . _ - +), a path (\"./python\") or { path = ..., target = ... }",
                "s.toml:4:1: layers.gone: path " + dir.resolve("missing") + " does not exist",
                "s.toml:5:1: run: command is required: the program to run, e.g. command = \"/app/server\"",
                "s.toml:6:1: run.args: entry 0 must be a string",
                "s.toml:7:1: ports: ports[0].container must be a port number 1-65535",
                "s.toml:7:1: ports: ports[0].protocol must be \"tcp\" or \"udp\""), e.problems());
    }

    /** Issue 22: read_only = false on a [[layer]] was silently ignored (layers are read-only). */
    @Test
    void aWritableLayerIsAProblemNotSilentlyReadOnly() throws Exception {
        Files.createDirectories(dir.resolve("sdk"));
        ManifestParser.InvalidManifestException e = assertThrows(ManifestParser.InvalidManifestException.class,
                () -> ManifestParser.parse("""
                        image = "x"
                        [[layer]]
                        source = "sdk"
                        target = "/sdk"
                        read_only = false
                        """, "l.toml", dir));
        assertEquals(List.of("l.toml:3:1: layer[0]: a layer is always read-only (read_only = false: make it a [[mount]])"), e.problems());
        Manifest ok = ManifestParser.parse("image = \"x\"\n[[layer]]\nsource = \"sdk\"\ntarget = \"/sdk\"\n", "l.toml", dir);
        assertEquals(List.of(new Manifest.Mount(dir.resolve("sdk").toString(), "/sdk", true)), ok.mounts());
    }

    /** Issue 22: squish's versioned layers are SDKs from the store: NAME:VERSION, read-only at /sdk/NAME or the target. */
    @Test
    void aSquishfilesVersionedLayersAreStoreImages() throws Exception {
        Files.writeString(dir.resolve("server"), "#!/bin/sh\n");
        Manifest m = ManifestParser.parse("""
                [layers]
                alpine = "3.14"
                python = "3.9"
                node = { version = "20.1", target = "/opt/node" }
                app = "./server"
                [run]
                command = "/app/server"
                """, "sdk.toml", dir);
        assertEquals(List.of(new Manifest.ImageLayer("layers.python", "python:3.9", "/sdk/python"),
                new Manifest.ImageLayer("layers.node", "node:20.1", "/opt/node")), m.imageLayers());
        assertEquals(List.of(new Manifest.Mount(dir.resolve("server").toString(), "/app/server", true)), m.mounts());
        assertEquals(List.of("sdk.toml:2:26: layers.node.rw: an SDK layer is always read-only (the store's image)"),
                assertThrows(ManifestParser.InvalidManifestException.class, () -> ManifestParser.parse("""
                        [layers]
                        node = { version = "20", rw = true }
                        [run]
                        command = "/x"
                        """, "sdk.toml", dir)).problems());
    }

    /** Issue 22: a [[layer]] names a store image instead of a host path; source and image exclude each other. */
    @Test
    void aLayerMayNameAStoreImage() throws Exception {
        Files.createDirectories(dir.resolve("sdk"));
        Manifest m = ManifestParser.parse("image = \"x\"\n[[layer]]\nimage = \"python-sdk:3.12\"\ntarget = \"/sdk/python\"\n", "l.toml", dir);
        assertEquals(List.of(new Manifest.ImageLayer("layer[0]", "python-sdk:3.12", "/sdk/python")), m.imageLayers());
        assertEquals(List.of(), m.mounts());
        List<String> p = assertThrows(ManifestParser.InvalidManifestException.class, () -> ManifestParser.parse("""
                image = "x"
                [[layer]]
                image = "a"
                source = "sdk"
                target = "/a"
                [[layer]]
                target = "/b"
                [[mount]]
                image = "c"
                source = "sdk"
                target = "/c"
                """, "l.toml", dir)).problems();
        assertEquals(List.of("l.toml:3:1: layer[0]: give source (a host path) or image (a store image), not both",
                "l.toml:7:1: layer[1]: source (a host path) or image (a store image) is required",
                "l.toml:9:1: mount[0]: unknown field image (source, target, read_only)"), p);
    }

    /** Issue 22: a manifest is a service: its root is read-only unless read_only = false (squish's default). */
    @Test
    void aManifestsRootIsReadOnlyUnlessItOptsOut() {
        assertTrue(ManifestParser.parse("image = \"x\"\n", "r.toml", dir).readOnly());
        assertEquals(false, ManifestParser.parse("image = \"x\"\nread_only = false\n", "r.toml", dir).readOnly());
        assertEquals(List.of("r.toml:2:1: read_only: must be true or false"), assertThrows(ManifestParser.InvalidManifestException.class,
                () -> ManifestParser.parse("image = \"x\"\nread_only = \"no\"\n", "r.toml", dir)).problems());
    }
}
