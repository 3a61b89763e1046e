package runtime.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import runtime.cli.Installation.Mode;
import runtime.cli.Installation.Result;

/**
 * Attacks on the host's files from inside a container (issue 17, items 2, 5 and 6), each performed for
 * real: the helper's binary, the state directories strata falls back to without XDG_RUNTIME_DIR, and
 * setuid files or devices a container leaves in host-visible image trees.
 */
class SecurityHostIT {
    static Installation strata;

    @BeforeAll
    static void install() throws Exception {
        strata = Installation.get();
    }

    /** The attack script (resources/runtime/cli/helper-exe-attack.sh) written into {@code dir} as attack.sh. */
    private static Path attackScript(Path dir) throws Exception {
        Path script = dir.resolve("attack.sh");
        try (InputStream in = SecurityHostIT.class.getResourceAsStream("helper-exe-attack.sh")) {
            Files.copy(in, script, StandardCopyOption.REPLACE_EXISTING);
        }
        return script;
    }

    /** A copy of the helper that the mode's user owns, as an installation in a user's home would be: writable by the container's root, were it reachable. */
    private static Path helperOwnedBy(Mode mode, Path dir) throws Exception {
        Path copy = dir.resolve("strata-helper");
        Files.copy(strata.home.resolve("runtime.cli/target/dist/libexec/strata-helper"), copy, StandardCopyOption.COPY_ATTRIBUTES);
        if (mode == Mode.ROOTLESS && strata.runningAsRoot) Installation.exec(List.of("chown", Installation.TEST_USER + ":", copy.toString()));
        return copy;
    }

    private static void assertNoWriteAndHelperUntouched(String out, Path helper, byte[] before) throws Exception {
        List<String> wrote = out.lines().filter(l -> l.contains("WROTE")).toList();
        assertEquals(List.of(), wrote, "no write through a helper's /proc/PID/exe or descriptors: " + out);
        assertArrayEquals(before, Files.readAllBytes(helper), "the host's helper binary is byte-identical");
    }

    /**
     * CVE-2019-5736 against `run -i`: the container's init is the helper; the container tries to write
     * its /proc/1/exe (directly, in place, and through a descriptor held until nothing runs the binary)
     * and its descriptors. The helper runs from a sealed copy and is not dumpable: the container cannot
     * even read the link, and the host's binary (owned by the container's root, rootless) is untouched.
     */
    @ParameterizedTest
    @EnumSource(Mode.class)
    void anIsolatedContainerCannotReachOrRewriteTheHelperBinary(Mode mode) throws Exception {
        strata.assumeMode(mode);
        Path data = strata.newStore(mode);
        String id = strata.importBusybox(mode, data);
        Path wd = strata.newWorkDirectory(mode);
        Path helper = helperOwnedBy(mode, wd);
        Path script = attackScript(wd);
        byte[] before = Files.readAllBytes(helper);
        Result r = strata.strata(mode, data, wd, Map.of("STRATA_HELPER", helper.toString()), null,
                "run", "-i", "--bind", script + ":/attack.sh:ro", id, "sh", "/attack.sh", "3", "/nonexistent");
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.out().lines().anyMatch("done"::equals), r.out() + r.err());
        assertTrue(r.out().lines().anyMatch("refused /proc/1/exe"::equals), "init (the helper) is not dumpable: " + r.out());
        assertNoWriteAndHelperUntouched(r.out(), helper, before);
    }

    /**
     * CVE-2019-5736 against `podman exec` with strata-oci: the container (its pid 1 runs the attack in a
     * loop) has podman exec run {@code /x/evil}, a script whose interpreter is {@code /proc/self/exe}, so
     * the helper's binary itself runs inside the container, waiting for a plan on the descriptor podman
     * preserved (a pipe that ends after seconds). The attacker looks at it, holds what it can and tries to
     * write once it has ended.
     */
    @ParameterizedTest
    @EnumSource(Mode.class)
    void podmanExecCannotBeTurnedIntoAWriteOfTheHelperBinary(Mode mode) throws Exception {
        strata.assumeMode(mode);
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/podman")), "podman is not installed");
        Path helper = strata.home.resolve("runtime.cli/target/dist/libexec/strata-helper");
        byte[] before = Files.readAllBytes(helper);
        String runtime = strata.home.resolve("strata-oci").toString();
        try (Podman podman = Podman.create(strata, mode)) {
            Path x = podman.newDirectory("x");
            attackScript(x);
            Files.writeString(x.resolve("evil"), "#!/proc/self/exe\n");
            Files.setPosixFilePermissions(x.resolve("evil"), java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
            Installation.exec(List.of("chmod", "a+r", x.resolve("attack.sh").toString()));
            String name = "helper-exe-" + mode.name().toLowerCase();
            Result started = podman.run(List.of("run", "-d", "--name", name, "-v", x + ":/x", Podman.IMAGE,
                    "sh", "/x/attack.sh", "100000", "/x/stop"), runtime);
            assertEquals(0, started.exitCode(), started.err());
            try {
                // fd 3 of the exec'd process: a pipe from `sleep 4`, which the helper reads its "plan" from.
                List<String> exec = podman.command(runtime, Map.of(), List.of("exec", "--preserve-fds", "1", name, "/x/evil"));
                List<String> piped = new java.util.ArrayList<>(List.of("sh", "-c", "sleep 4 | \"$@\" 3<&0", "sh"));
                piped.addAll(exec);
                Result evil = Installation.run(piped, podman.dir, null, 60);
                Thread.sleep(12_000); // the holders' retries (10 s) after the exec'd helper ended
                Files.writeString(x.resolve("stop"), "");
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                String logs = "";
                while (System.nanoTime() < deadline && !logs.lines().anyMatch("done"::equals)) {
                    logs = podman.run(List.of("logs", name), runtime).out();
                    Thread.sleep(200);
                }
                assertTrue(logs.lines().anyMatch("done"::equals), "the attacker finished: " + logs);
                assertTrue(logs.lines().anyMatch(l -> l.startsWith("refused /proc/")),
                        "the attacker saw the helper run through #!/proc/self/exe, and could not look at it (exec: "
                                + evil.exitCode() + " " + evil.err() + "): " + logs);
                assertNoWriteAndHelperUntouched(logs, helper, before);
            } finally {
                podman.run(List.of("rm", "-f", "-t", "0", name), runtime);
            }
        }
    }
}
