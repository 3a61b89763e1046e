package runtime.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

import runtime.cli.Installation.Mode;

/**
 * Every filesystem driver strata finds (built-in or on its module path) passes the conformance suite
 * ({@code strata check-driver}), as root and rootless, with the real programs; and the drivers listing
 * and automatic selection behave.
 */
class FilesystemDriversIT {
    private static Installation strata;

    @BeforeAll
    static void install() throws Exception {
        strata = Installation.get();
    }

    /** The fs drivers {@code strata drivers} lists, times both modes. */
    static Stream<Arguments> driversAndModes() throws Exception {
        Installation s = Installation.get();
        Mode lister = s.runningAsRoot ? Mode.ROOT : Mode.ROOTLESS;
        Installation.Result r = s.strata(lister, s.newStore(lister), "drivers");
        assertEquals(0, r.exitCode(), r.err());
        List<String> names = new ArrayList<>();
        for (String line : r.out().lines().toList()) {
            String[] cols = line.trim().split("\\s+");
            if (cols.length > 1 && cols[0].equals("fs")) names.add(cols[1]);
        }
        assertTrue(names.containsAll(List.of("overlay", "fuse-overlayfs", "unionfs-fuse")), "drivers found: " + names);
        List<Arguments> all = new ArrayList<>();
        for (String n : names) for (Mode m : Mode.values()) all.add(Arguments.of(n, m));
        return all.stream();
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("driversAndModes")
    void passesTheConformanceSuite(String driver, Mode mode) throws Exception {
        strata.assumeMode(mode);
        Installation.Result r = strata.strata(mode, strata.newStore(mode), "check-driver", driver);
        String report = r.out() + r.err();
        assertEquals(0, r.exitCode(), report);
        List<String> lines = r.out().lines().toList();
        assertTrue(lines.stream().filter(l -> l.startsWith("PASS ")).count() >= 25, "too few checks ran: " + report);
        assertTrue(lines.stream().noneMatch(l -> l.startsWith("FAIL ")), report);
        assertTrue(lines.getLast().startsWith(driver + ": ") && lines.getLast().contains(" 0 failed"), report);
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void everyBuiltInDriverWorksHereAndSaysHow(Mode mode) throws Exception {
        strata.assumeMode(mode);
        Installation.Result r = strata.strata(mode, strata.newStore(mode), "drivers");
        assertEquals(0, r.exitCode(), r.err());
        for (String name : List.of("overlay", "fuse-overlayfs", "unionfs-fuse")) {
            String row = r.out().lines().filter(l -> l.matches("fs\\s+" + name + "\\s.*")).findFirst().orElseThrow();
            assertTrue(row.matches("fs\\s+" + name + "\\s+yes\\s+.*"), row);
        }
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void runsOnEachFuseDriverAndLeavesNoDaemon(Mode mode) throws Exception {
        strata.assumeMode(mode);
        Path data = strata.newStore(mode);
        String image = strata.importBusybox(mode, data);
        for (String fs : List.of("fuse-overlayfs", "unionfs-fuse")) {
            Installation.Result r = strata.strata(mode, data, "run", "--fs", fs, image, "sh", "-c",
                    "grep -c ' / fuse' /proc/self/mounts; echo hi > /new; cat /new");
            assertEquals(0, r.exitCode(), fs + ": " + r.err());
            assertEquals(List.of("1", "hi"), r.out().lines().toList(), fs);
            Installation.Result env = strata.strata(mode, data, strata.home, Map.of("STRATA_FS", fs), null, "run", image,
                    "sh", "-c", "grep ' / ' /proc/self/mounts");
            assertEquals(0, env.exitCode(), env.err());
            assertTrue(env.out().contains("fuse"), "STRATA_FS=" + fs + " chose: " + env.out());
        }
        assertFalse(daemonsNaming(data), "a FUSE daemon outlived its container");
    }

    /**
     * A build step through each FUSE driver leaves a layer in the store format (Builder calls the
     * driver's normalizeUpper): the deletion reads back through the kernel overlay and the other driver.
     */
    @ParameterizedTest
    @EnumSource(Mode.class)
    void buildStepsThroughFuseDriversMakeLayersEveryDriverReads(Mode mode) throws Exception {
        strata.assumeMode(mode);
        Path data = strata.newStore(mode);
        String image = strata.importBusybox(mode, data);
        for (String writer : List.of("fuse-overlayfs", "unionfs-fuse")) {
            Installation.Result b = strata.strata(mode, data, "build", "--fs", writer, "--from", image, "--run",
                    "rm /etc/passwd; rm -r /usr/bin; mkdir /usr/bin; echo " + writer + " > /usr/bin/marker");
            assertEquals(0, b.exitCode(), writer + ": " + b.err());
            String built = b.line();
            for (String reader : List.of("overlay", "fuse-overlayfs", "unionfs-fuse")) {
                Installation.Result r = strata.strata(mode, data, "run", "--fs", reader, built, "/bin/sh", "-c",
                        "test ! -e /etc/passwd && echo $(ls /usr/bin)");
                assertEquals(0, r.exitCode(), writer + " read by " + reader + ": " + r.err());
                assertEquals("marker", r.line(), writer + " read by " + reader);
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void anUnknownDriverIsOneLine(Mode mode) throws Exception {
        strata.assumeMode(mode);
        Path data = strata.newStore(mode);
        String image = strata.importBusybox(mode, data);
        Installation.Result r = strata.strata(mode, data, "run", "--fs", "nosuchfs", image, "true");
        assertTrue(r.exitCode() != 0);
        assertEquals("strata: no filesystem driver 'nosuchfs' (strata drivers lists them)", r.err().strip());
        Installation.Result c = strata.strata(mode, data, "check-driver", "nosuchfs");
        assertTrue(c.exitCode() != 0);
        assertEquals("strata: no filesystem driver 'nosuchfs' (strata drivers lists them)", c.err().strip());
    }

    /** Whether a FUSE daemon of a driver names this store, after giving a just-ended one a moment. */
    private static boolean daemonsNaming(Path data) throws Exception {
        for (int i = 0; i < 100; i++) {
            boolean any = false;
            try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
                for (Path p : procs.filter(p -> p.getFileName().toString().matches("\\d+")).toList()) {
                    try {
                        String cmd = new String(Files.readAllBytes(p.resolve("cmdline"))).replace('\0', ' ');
                        if ((cmd.contains("fuse-overlayfs") || cmd.contains("unionfs-fuse")) && cmd.contains(data.toString())) any = true;
                    } catch (java.io.IOException gone) {
                        // ended while we looked
                    }
                }
            }
            if (!any) return false;
            Thread.sleep(20);
        }
        return true;
    }
}
