package runtime.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import runtime.cli.Installation.Mode;

/**
 * scripts/install: as root into a prefix, as the test user into its ~/.local (the default); the installed
 * strata has no path into the tree it came from, runs from another directory, finds a JDK again when the
 * remembered one is gone, has its man pages; the uninstall leaves nothing.
 */
class InstallIT {
    /** A command as the mode's user with HOME {@code home} (where a user's install goes). */
    private static List<String> as(Installation strata, Mode mode, Path home, Path data, String... cmd) {
        return strata.as(mode, data, java.util.Map.of("HOME", home.toString()), List.of(cmd));
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void installsRunsFromAnywhereAndUninstalls(Mode mode) throws Exception {
        Installation strata = Installation.get();
        strata.assumeMode(mode);
        Path home = strata.newWorkDirectory(mode); // the installing user's HOME; the root install goes to HOME/usr
        Path data = strata.newStore(mode);
        String install = strata.home.resolve("scripts/install").toString();
        Path prefix = mode == Mode.ROOT ? home.resolve("usr") : home.resolve(".local");
        Installation.Result installed = Installation.run(mode == Mode.ROOT ? as(strata, mode, home, data, install, prefix.toString())
                : as(strata, mode, home, data, install), Path.of("/"), null, 600);
        assertEquals(0, installed.exitCode(), installed.err());
        assertTrue(installed.err().contains("installed in " + prefix), installed.err());

        Installation.Result grep = Installation.run(List.of("grep", "-rlF", strata.home.toString(), prefix.toString()), Path.of("/"), null, 60);
        assertEquals(1, grep.exitCode(), "installed files name the tree they came from: " + grep.out());
        for (String f : List.of("bin/strata", "bin/strata-oci", "share/man/man1/strata.1", "share/man/man1/strata-run.1",
                "share/bash-completion/completions/strata", "share/zsh/site-functions/_strata", "lib/strata/libexec/strata-helper")) {
            assertTrue(Files.exists(prefix.resolve(f)), f);
        }
        Installation.Result man = Installation.run(as(strata, mode, home, data, "env", "MANPATH=" + prefix.resolve("share/man"), "MANWIDTH=80",
                "man", "--warnings", "strata-run"), Path.of("/"), null, 60);
        assertEquals(0, man.exitCode(), man.err());
        assertTrue(man.out().contains("--isolate"), man.out());

        // A JDK remembered at install time that has gone since: looked for again.
        Files.writeString(prefix.resolve("lib/strata/java-home"), "/nonexistent/jdk\n25\n");
        String launcher = prefix.resolve("bin/strata").toString();
        Installation.Result id = Installation.run(as(strata, mode, home, data, launcher, "import-tar",
                strata.rootfsTar.toString()), Path.of("/"), null, 120);
        assertEquals(0, id.exitCode(), id.err());
        Installation.Result run = Installation.run(as(strata, mode, home, data, launcher, "run", id.line(),
                "sh", "-c", "echo ran in $PWD"), Path.of("/"), null, 120);
        assertEquals(0, run.exitCode(), run.err());
        assertEquals("ran in /", run.line());
        assertEquals("", run.err(), "the install recorded the start-up caches: a first run says nothing");

        Installation.Result removed = Installation.run(as(strata, mode, home, data, install, "--uninstall", prefix.toString()), Path.of("/"), null, 60);
        assertEquals(0, removed.exitCode(), removed.err());
        try (var left = Files.walk(prefix)) {
            assertEquals(List.of(), left.filter(Files::isRegularFile).map(Path::toString).toList());
        }
        try (var left = Files.walk(prefix)) {
            assertEquals(List.of(), left.filter(Files::isSymbolicLink).map(Path::toString).toList());
        }
    }

    /** The module form the architecture describes, without a launcher: it runs, and the JVM warns of nothing. */
    @ParameterizedTest
    @EnumSource(Mode.class)
    void javaDashMRunsWithoutWarnings(Mode mode) throws Exception {
        Installation strata = Installation.get();
        strata.assumeMode(mode);
        Path home = strata.newWorkDirectory(mode);
        Path data = strata.newStore(mode);
        String id = strata.importBusybox(mode, data);
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Installation.Result r = Installation.run(as(strata, mode, home, data, java, "--enable-native-access=ALL-UNNAMED",
                "-p", strata.home.resolve("runtime.cli/target/dist/lib").toString(), "-m", "runtime.cli", "run", id, "sh", "-c", "echo ran; exit 3"),
                home, null, 120);
        assertEquals(3, r.exitCode(), r.err());
        assertEquals("ran", r.line());
        assertEquals("", r.err());
    }
}
