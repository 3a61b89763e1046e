package runtime.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import runtime.cli.Installation.Mode;
import runtime.cli.Installation.Result;

/** {@code strata fsck}: every kind of damage is one line, --repair removes it, the store works afterwards. */
class FsckIT {
    static Installation strata;

    @BeforeAll
    static void install() throws Exception {
        strata = Installation.get();
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void findsEachProblemOnOneLineAndRepairRemovesThem(Mode mode) throws Exception {
        strata.assumeMode(mode);
        Path data = strata.newStore(mode);
        String base = strata.importBusybox(mode, data);
        Result clean = strata.strata(mode, data, "fsck");
        assertEquals(0, clean.exitCode(), clean.out() + clean.err());
        assertEquals("", clean.out());

        Path wd = strata.newWorkDirectory(mode);
        Files.writeString(Files.createDirectories(wd.resolve("upper/etc")).resolve("step"), "1");
        String a = TestLayers.commitChild(mode, data, base, wd.resolve("upper"), "RUN a");
        String a1 = TestLayers.commitChild(mode, data, a, wd.resolve("upper"), "RUN a1");
        String b = TestLayers.commitChild(mode, data, base, wd.resolve("upper"), "RUN b");
        String c = TestLayers.commitChild(mode, data, base, wd.resolve("upper"), "RUN c");
        String good = TestLayers.commitChild(mode, data, base, wd.resolve("upper"), "RUN good");
        assertEquals(0, strata.strata(mode, data, "map", "top", a1).exitCode());
        assertEquals(0, strata.strata(mode, data, "map", "keep", good).exitCode());
        Path layers = data.resolve("layers");

        // a loses its files (a1 is built on it), b's layer.json is cut short, c is renamed to a wrong id,
        // a name points nowhere, a half-written name and a dead process's staging directory are left.
        Installation.exec(List.of("rm", "-rf", layers.resolve(a).resolve("root").toString()));
        Files.writeString(layers.resolve(b).resolve("layer.json"), "{\"id\":");
        String wrong = "f".repeat(64);
        Files.move(layers.resolve(c), layers.resolve(wrong));
        Files.writeString(data.resolve("map/ghost"), "0".repeat(64) + "\n");
        Files.writeString(data.resolve("map/.half-123.tmp"), "");
        Files.createDirectories(data.resolve("tmp/layer-dead/root/etc"));
        Files.writeString(data.resolve("tmp/layer-dead.lock"), "");
        if (mode == Mode.ROOTLESS && strata.runningAsRoot) {
            Installation.exec(List.of("chown", "-R", Installation.TEST_USER + ":", data.toString()));
        }

        Result found = strata.strata(mode, data, "fsck");
        assertEquals(1, found.exitCode(), found.err());
        assertEquals("", found.err());
        // The JSON parser's own words vary: only the start of that line is compared.
        List<String> lines = found.out().lines().map(l -> l.replaceFirst("(layer\\.json unreadable) \\(.+\\)$", "$1")).sorted().toList();
        assertEquals(List.of(
                "layer " + a.substring(0, 12) + ": root directory missing",
                "layer " + a1.substring(0, 12) + ": built on broken layer " + a.substring(0, 12),
                "layer " + b.substring(0, 12) + ": layer.json unreadable",
                "layer ffffffffffff: layer.json names another id (" + c + ")",
                "leftover tmp/layer-dead (of an interrupted strata; strata clean removes it)",
                "map/.half-123.tmp: not an image name (a leftover of an interrupted strata map)",
                "name ghost: points to missing layer 000000000000",
                "name top: points to broken layer " + a1.substring(0, 12)).stream().sorted().toList(), lines);
        assertTrue(Files.isDirectory(layers.resolve(b)), "fsck alone changes nothing");

        Result repair = strata.strata(mode, data, "fsck", "--repair");
        assertEquals(0, repair.exitCode(), repair.out() + repair.err());
        assertTrue(repair.out().endsWith("repaired 8 problems\n"), repair.out());
        Result after = strata.strata(mode, data, "fsck");
        assertEquals(0, after.exitCode(), after.out());
        assertEquals("", after.out());
        try (var left = Files.list(layers)) {
            assertEquals(List.of(base, good).stream().sorted().toList(), left.map(p -> p.getFileName().toString()).sorted().toList());
        }
        assertFalse(Files.exists(data.resolve("map/top")), "the name of a removed layer goes with it");
        assertEquals(good, strata.strata(mode, data, "map", "keep").line());
        try (var tmp = Files.list(data.resolve("tmp"))) {
            assertEquals(List.of(), tmp.toList());
        }
        Result run = strata.strata(mode, data, "run", "keep", "cat", "/etc/step");
        assertEquals("1", run.line(), run.err());
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void aLayerWhoseParentIsGoneIsBrokenAndUsageErrorsAreOneLine(Mode mode) throws Exception {
        strata.assumeMode(mode);
        Path data = strata.newStore(mode);
        String base = strata.importBusybox(mode, data);
        Path wd = strata.newWorkDirectory(mode);
        Files.createDirectories(wd.resolve("upper"));
        String child = TestLayers.commitChild(mode, data, base, wd.resolve("upper"), "RUN x");
        // The base vanishes without its child (what a crash of a non-atomic rm would leave).
        Installation.exec(List.of("rm", "-rf", data.resolve("layers").resolve(base).toString()));
        Result found = strata.strata(mode, data, "fsck");
        assertEquals(1, found.exitCode());
        assertEquals("layer " + child.substring(0, 12) + ": parent " + base.substring(0, 12) + " is missing\n", found.out());
        Result usage = strata.strata(mode, data, "fsck", "extra");
        assertEquals(2, usage.exitCode());
        assertEquals(1, usage.err().lines().count(), usage.err());
        assertEquals(0, strata.strata(mode, data, "fsck", "-r").exitCode());
        assertEquals(0, Installation.layerCount(data));
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void warnsAboutMountPointStubsInOldLayersAndRepairRemovesThem(Mode mode) throws Exception {
        strata.assumeMode(mode);
        Path data = strata.newStore(mode);
        String base = strata.importBusybox(mode, data);
        // What older versions committed for a step that wrote /etc/step: the bind targets' empty stubs
        // (busybox lacks /etc/hosts, /etc/resolv.conf and /run/user) beside the step's own file.
        Path wd = strata.newWorkDirectory(mode);
        Path upper = wd.resolve("upper");
        Files.createDirectories(upper.resolve("etc"));
        Files.writeString(upper.resolve("etc/step"), "1");
        Files.createFile(upper.resolve("etc/hosts"));
        Files.createFile(upper.resolve("etc/resolv.conf"));
        Files.createDirectories(upper.resolve("run/user"));
        Installation.exec(List.of("chmod", "0755", upper.resolve("run").toString(), upper.resolve("run/user").toString(),
                upper.resolve("etc").toString()));
        String polluted = TestLayers.commitChild(mode, data, base, upper, "run echo 1 > /etc/step");
        // An imported layer keeps what its archive held, empty /etc/hosts included.
        String imported = TestLayers.commitChild(mode, data, base, upper, "sha256:0000");

        Result found = strata.strata(mode, data, "fsck");
        assertEquals(1, found.exitCode(), found.out() + found.err());
        assertEquals(List.of("layer " + polluted.substring(0, 12) + ": holds the empty mount points /run/user, /run, "
                + "/etc/resolv.conf, /etc/hosts that strata made for its binds, not its step (strata fsck --repair removes them)"),
                found.out().lines().toList());

        Result repair = strata.strata(mode, data, "fsck", "--repair");
        assertEquals(0, repair.exitCode(), repair.out() + repair.err());
        Path root = data.resolve("layers").resolve(polluted).resolve("root");
        assertTrue(Files.exists(root.resolve("etc/step")), "the step's own file stays");
        assertFalse(Files.exists(root.resolve("etc/hosts")));
        assertFalse(Files.exists(root.resolve("etc/resolv.conf")));
        assertFalse(Files.exists(root.resolve("run")));
        assertTrue(Files.exists(data.resolve("layers").resolve(imported).resolve("root/etc/hosts")));
        assertEquals(0, strata.strata(mode, data, "fsck").exitCode());
        Result run = strata.strata(mode, data, "run", polluted, "cat", "/etc/step");
        assertEquals("1", run.line(), run.err());
    }
}
