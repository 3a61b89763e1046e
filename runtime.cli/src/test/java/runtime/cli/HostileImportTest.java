package runtime.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import runtime.cli.HostileArchives.Case;
import runtime.cli.HostileArchives.Outcome;

/**
 * Every hostile archive of {@link HostileArchives} through every import path (import-tar, tar:, oci-layout:,
 * docker-archive:, lxc: from a local image server, and debian: with the archive as a package's data.tar
 * in a local Debian archive), in this JVM through
 * {@link Main#run} (as whoever runs the tests; {@code HostileImportIT} repeats it rootless through the
 * packaged strata): it is refused with one line, or unpacked harmlessly; either way nothing lands
 * outside the layer, DATA/tmp is left empty and a refused import leaves no layer.
 */
class HostileImportTest {
    enum Path_ { IMPORT_TAR, TAR_SOURCE, OCI_LAYOUT, DOCKER_ARCHIVE, LXC, DEBIAN }

    @TempDir
    Path dir;
    @TempDir
    static Path archiveDir;
    /** The corpus on a local LXC image server and as .debs in a local Debian archive. */
    static HostileServer server;

    @BeforeAll
    static void serve() throws Exception {
        server = HostileServer.serve(archiveDir, HostileArchives.all());
    }

    @AfterAll
    static void stopServer() throws Exception {
        if (server != null) server.close();
    }

    static Stream<Arguments> cases() throws Exception {
        List<Arguments> all = new ArrayList<>();
        for (Case c : HostileArchives.all()) {
            for (Path_ p : Path_.values()) all.add(Arguments.of(c, p));
        }
        return all.stream();
    }

    @BeforeEach
    void target() throws Exception {
        HostileArchives.HOST_TARGET.toFile().mkdirs();
        try (var s = Files.list(HostileArchives.HOST_TARGET)) {
            assertEquals(0, s.count(), "the host target must start empty");
        }
    }

    @AfterEach
    void hostUntouched() throws Exception {
        try (var s = Files.list(HostileArchives.HOST_TARGET)) {
            assertEquals(List.of(), s.toList(), "an archive wrote outside its layer");
        }
    }

    @ParameterizedTest(name = "{0} via {1}")
    @MethodSource("cases")
    void refusedOrNeutralised(Case c, Path_ path) throws Exception {
        Path data = dir.resolve("data");
        Map<String, String> env = new HashMap<>(switch (path) {
            case DEBIAN -> server.debianEnv;
            case LXC -> server.lxcEnv;
            default -> HostileArchives.LIMIT_ENV;
        });
        env.put("STRATA_DATA", data.toString());
        env.put("PATH", "/usr/bin:/bin");
        List<String> args = switch (path) {
            case IMPORT_TAR -> List.of("import-tar", write("a.tar", c.tar()).toString());
            case TAR_SOURCE -> List.of("pull", "tar:" + write("a.tar", c.tar()));
            case OCI_LAYOUT -> List.of("pull", "oci-layout:" + HostileArchives.ociLayout(dir.resolve("layout"), c.tar(),
                    HostileArchives.uncompressed(c.tar())) + ":1");
            case DOCKER_ARCHIVE -> List.of("pull", "docker-archive:" + write("image.tar",
                    HostileArchives.dockerArchive(c.tar(), HostileArchives.uncompressed(c.tar()))));
            case LXC -> List.of("pull", HostileServer.lxc(c));
            case DEBIAN -> List.of("pull", HostileServer.debian(c));
        };
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Main.run(TestContexts.of(args, env, new PrintStream(out, true), new PrintStream(err, true)));
        String errText = err.toString(StandardCharsets.UTF_8);
        // An image format may well hold an empty layer (a package, no files); a plain tar import must not be empty.
        boolean layered = path == Path_.OCI_LAYOUT || path == Path_.DOCKER_ARCHIVE || path == Path_.DEBIAN;
        Outcome expected = layered && c.emptyLayerIsFine() ? Outcome.EITHER : c.outcome();
        boolean rootless = runtime.api.sys.Posix.getuid() != 0;
        assertTmpEmpty(data);
        if (code != 0) {
            assertNotEquals(Outcome.UNPACKED, expected, "refused: " + errText);
            assertOneLine(errText);
            assertEquals(List.of(), layers(data), "a refused import leaves no layer (" + errText.strip() + ")");
        } else {
            assertNotEquals(Outcome.REFUSED, expected, "accepted " + c + " (" + out + ")");
            if (c.check() != null) c.check().check(base(data), rootless);
        }
    }

    /** One error line; notices (an unsigned archive, device nodes skipped rootless) are not errors. */
    static void assertOneLine(String err) {
        err = err.lines().filter(l -> !l.startsWith("strata: warning:") && !l.matches("strata: skipped \\d+ device node.*"))
                .map(l -> l + "\n").reduce("", String::concat);
        assertEquals(1, err.lines().count(), err);
        assertTrue(err.startsWith("strata: ") || err.startsWith("strata pull: "), err);
    }

    static void assertTmpEmpty(Path data) throws Exception {
        Path tmp = data.resolve("tmp");
        if (!Files.exists(tmp)) return;
        try (var s = Files.list(tmp)) {
            assertEquals(List.of(), s.toList(), "DATA/tmp after the import");
        }
    }

    static List<Path> layers(Path data) throws Exception {
        Path layers = data.resolve("layers");
        if (!Files.isDirectory(layers)) return List.of();
        try (var s = Files.list(layers)) {
            return s.toList();
        }
    }

    /** The one layer without a parent: the archive's content (OCI images add a configuration layer on top). */
    static Path base(Path data) throws Exception {
        return layers(data).stream().filter(l -> !Files.exists(l.resolve("parent"), LinkOption.NOFOLLOW_LINKS))
                .findFirst().orElseThrow().resolve("root");
    }

    private Path write(String name, byte[] bytes) throws Exception {
        return Files.write(dir.resolve(name), bytes);
    }
}
