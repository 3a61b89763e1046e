package runtime.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.nio.file.Files;
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
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import runtime.cli.HostileArchives.Case;
import runtime.cli.HostileArchives.Outcome;
import runtime.cli.Installation.Mode;
import runtime.cli.Installation.Result;

/**
 * The hostile corpus through the packaged strata as the unprivileged test user (HostileImportTest covers
 * every import path in-process, as whoever runs the tests): rootless, devices are skipped, a setuid-root
 * file belongs to the caller, and the same refusals hold. import-tar for every case, oci-layout: and
 * debian: (the archive as a package's data.tar) for some.
 */
class HostileImportIT {
    static Installation strata;
    static HostileServer server;

    @BeforeAll
    static void install() throws Exception {
        strata = Installation.get();
        server = HostileServer.serve(Files.createTempDirectory(strata.home, "hostile-debs-"), HostileArchives.all());
    }

    @AfterAll
    static void stopDebs() throws Exception {
        if (server != null) server.close();
    }

    static final java.util.Set<String> ROOTLESS_MATTERS = java.util.Set.of("device-node", "setuid-root",
            "symlink-absolute-then-write", "hardlink-to-whiteout", "whiteout-dotdot", "sparse-huge");
    /** Through a .deb's data.tar (debian:), rootless: traversal, absolute paths, links, devices, setuid, duplicates. */
    static final java.util.Set<String> DEBIAN_CASES = java.util.Set.of("dotdot", "absolute-path", "symlink-absolute-then-write",
            "symlink-relative-then-write", "symlink-then-dir-then-write", "hardlink-dotdot", "hardlink-absolute",
            "hardlink-through-symlink", "device-node", "setuid-root", "duplicates");

    static Stream<Arguments> cases() throws Exception {
        List<Arguments> all = new ArrayList<>();
        for (Case c : HostileArchives.all()) {
            all.add(Arguments.of(c, "import-tar"));
            // The OCI path shares the extractor; it is repeated for the cases where being rootless matters.
            if (ROOTLESS_MATTERS.contains(c.name())) all.add(Arguments.of(c, "oci-layout"));
            if (DEBIAN_CASES.contains(c.name())) all.add(Arguments.of(c, "debian"));
        }
        return all.stream();
    }

    @BeforeEach
    @AfterEach
    void hostTargetEmpty() throws Exception {
        Files.createDirectories(HostileArchives.HOST_TARGET);
        Installation.exec(List.of("chmod", "777", HostileArchives.HOST_TARGET.toString()));
        try (var s = Files.list(HostileArchives.HOST_TARGET)) {
            assertEquals(List.of(), s.toList(), "an archive wrote outside its layer");
        }
    }

    @ParameterizedTest(name = "{0} via {1}")
    @MethodSource("cases")
    void refusedOrNeutralisedRootless(Case c, String path) throws Exception {
        strata.assumeMode(Mode.ROOTLESS);
        Path data = strata.newStore(Mode.ROOTLESS);
        Path wd = strata.newWorkDirectory(Mode.ROOTLESS);
        String reference = switch (path) {
            case "import-tar" -> Files.write(wd.resolve("a.tar"), c.tar()).toString();
            case "debian" -> HostileServer.debian(c);
            default -> "oci-layout:" + HostileArchives.ociLayout(wd.resolve("layout"), c.tar(), HostileArchives.uncompressed(c.tar())) + ":1";
        };
        if (strata.runningAsRoot) Installation.exec(List.of("chown", "-R", Installation.TEST_USER + ":", wd.toString()));
        Map<String, String> env = new HashMap<>(path.equals("debian") ? server.debianEnv : HostileArchives.LIMIT_ENV);
        Result r = path.equals("import-tar")
                ? strata.strata(Mode.ROOTLESS, data, wd, env, null, "import-tar", reference)
                : strata.strata(Mode.ROOTLESS, data, wd, env, null, "pull", reference);
        Outcome expected = !path.equals("import-tar") && c.emptyLayerIsFine() ? Outcome.EITHER : c.outcome();
        HostileImportTest.assertTmpEmpty(data);
        if (r.exitCode() != 0) {
            assertNotEquals(Outcome.UNPACKED, expected, "refused: " + r.err());
            HostileImportTest.assertOneLine(r.err());
            assertEquals(0, HostileImportTest.layers(data).size(), "a refused import leaves no layer");
        } else {
            assertNotEquals(Outcome.REFUSED, expected, "accepted " + c + ": " + r.out());
            if (c.check() != null) c.check().check(HostileImportTest.base(data), true);
        }
    }
}
