package runtime.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import runtime.cli.Installation.Mode;
import runtime.cli.Installation.Result;

/** An image's merged filesystem on the host: run --persist, export-tar, export-dir, with-mount, mount, umount. */
class MountIT {
    static Installation strata;

    @BeforeAll
    static void install() throws Exception {
        strata = Installation.get();
    }

    private static List<String> tarListing(Path tar) throws Exception {
        Process p = new ProcessBuilder("tar", "--numeric-owner", "-tvf", tar.toString()).redirectErrorStream(true).start();
        List<String> lines = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).lines().toList();
        assertEquals(0, p.waitFor(), String.join("\n", lines));
        return lines;
    }

    private static boolean listed(List<String> listing, String name) {
        return listing.stream().anyMatch(l -> l.endsWith(" " + name) || l.contains(" " + name + " -> "));
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void persistedChangesExportWithWhiteoutsApplied(Mode mode) throws Exception {
        strata.assumeMode(mode);
        assumeTrue(strata.runningAsRoot, "committing a layer with whiteouts (device nodes) in the test needs root");
        Path data = strata.newStore(mode);
        String base = strata.importBusybox(mode, data);
        Path wd = strata.newWorkDirectory(mode);
        Path persist = wd.resolve("persist");
        Result first = strata.strata(mode, data, wd, Map.of(), null, "run", "--persist", persist.toString(), base, "sh", "-c",
                "echo added > /etc/added && rm /bin/ls");
        assertEquals(0, first.exitCode(), first.err());
        Result second = strata.strata(mode, data, wd, Map.of(), null, "run", "--persist", "persist", base, "sh", "-c",
                "cat /etc/added; test -e /bin/ls || echo no-ls");
        assertEquals(List.of("added", "no-ls"), second.out().lines().toList(), "changes survive across runs: " + second.err());
        assertEquals("added\n", Files.readString(persist.resolve("data/etc/added")));
        String child = TestLayers.commitChild(mode, data, base, persist.resolve("data"), "RUN change");

        Path tar = wd.resolve("child.tar");
        Result export = strata.strata(mode, data, wd, Map.of(), null, "export-tar", child, tar.toString());
        assertEquals(0, export.exitCode(), export.err());
        List<String> listing = tarListing(tar);
        assertTrue(listed(listing, "./etc/added"), String.join("\n", listing));
        assertTrue(listed(listing, "./bin/busybox"), String.join("\n", listing));
        assertFalse(listed(listing, "./bin/ls"), "deleted in the child layer: " + String.join("\n", listing));
        assertTrue(listing.stream().allMatch(l -> l.split(" +")[1].equals("0/0")), "owned by the image's root: " + listing.getFirst());

        // Importing the export gives the same files back.
        Result imported = strata.strata(mode, data, "import-tar", tar.toString());
        assertEquals(0, imported.exitCode(), imported.err());
        Result check = strata.strata(mode, data, "run", imported.line(), "sh", "-c", "cat /etc/added; test -e /bin/ls || echo no-ls");
        assertEquals(List.of("added", "no-ls"), check.out().lines().toList(), check.err());

        Path dir = wd.resolve("exported");
        Result exportDir = strata.strata(mode, data, wd, Map.of(), null, "export-dir", child, dir.toString());
        assertEquals(0, exportDir.exitCode(), exportDir.err());
        assertEquals("added\n", Files.readString(dir.resolve("etc/added")));
        assertTrue(Files.isRegularFile(dir.resolve("bin/busybox")));
        assertFalse(Files.exists(dir.resolve("bin/ls"), LinkOption.NOFOLLOW_LINKS));
        Result notEmpty = strata.strata(mode, data, wd, Map.of(), null, "export-dir", child, dir.toString());
        assertNotEquals(0, notEmpty.exitCode());
        assertEquals("strata: " + dir + " is not empty\n", notEmpty.err());
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void withMountRunsAHostCommandInTheImageAndDiscardsChanges(Mode mode) throws Exception {
        strata.assumeMode(mode);
        Path data = strata.newStore(mode);
        String id = strata.importBusybox(mode, data);
        Result r = strata.strata(mode, data, "with-mount", id, "sh", "-c",
                "pwd; echo \"$STRATA_MOUNT\"; stat -c %u bin/busybox; touch added; exit 3");
        assertEquals(3, r.exitCode(), r.err());
        List<String> lines = r.out().lines().toList();
        assertEquals(3, lines.size(), r.out() + r.err());
        assertEquals(lines.get(0), lines.get(1), "the working directory is the mount point");
        assertEquals("0", lines.get(2), "files show as the image's root");
        assertFalse(Files.exists(data.resolve("layers").resolve(id).resolve("root/added")), "changes are discarded");
        Result shell = strata.strata(mode, data, strata.home, Map.of("SHELL", "/bin/sh"), "test -x bin/busybox && echo via-shell\n",
                "with-mount", id);
        assertEquals("via-shell", shell.line(), shell.err());
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void mountAndUmountOnTheHost(Mode mode) throws Exception {
        strata.assumeMode(mode);
        Path data = strata.newStore(mode);
        String id = strata.importBusybox(mode, data);
        Path wd = strata.newWorkDirectory(mode);
        Path target = Files.createDirectory(wd.resolve("mnt"));
        if (mode == Mode.ROOTLESS) {
            Result r = strata.strata(mode, data, "mount", id, target.toString());
            assertEquals(125, r.exitCode());
            assertEquals(1, r.err().lines().count(), r.err());
            assertTrue(r.err().startsWith("strata: strata mount needs root for now"), r.err());
            return;
        }
        Path changes = wd.resolve("changes");
        Result mount = strata.strata(mode, data, "mount", id, target.toString(), changes.toString());
        assertEquals(0, mount.exitCode(), mount.err());
        try {
            assertTrue(Files.isRegularFile(target.resolve("bin/busybox")));
            Files.writeString(target.resolve("etc/written"), "kept");
        } finally {
            assertEquals(0, strata.strata(mode, data, "umount", target.toString()).exitCode());
        }
        assertFalse(Files.exists(target.resolve("bin")), "unmounted");
        assertEquals("kept", Files.readString(changes.resolve("data/etc/written")));

        // Without a changes directory they go to DATA/tmp, which clean leaves alone while mounted,
        // while a mount left on the store's scratch directory is stale and goes.
        assertEquals(0, strata.strata(mode, data, "mount", id, target.toString()).exitCode());
        Installation.exec(List.of("mount", "-t", "tmpfs", "stale", Files.createDirectories(data.resolve("mnt")).toString()));
        Result clean = strata.strata(mode, data, "clean");
        assertEquals(0, clean.exitCode(), clean.err());
        assertEquals("unmounted " + data.resolve("mnt"), clean.line());
        try (var tmp = Files.list(data.resolve("tmp"))) {
            assertEquals(1, tmp.filter(p -> p.getFileName().toString().startsWith("mount-")).count());
        }
        assertEquals(0, strata.strata(mode, data, "umount", target.toString()).exitCode());
        try (var tmp = Files.list(data.resolve("tmp"))) {
            assertEquals(List.of(), tmp.toList(), "umount removes the discarded changes");
        }
        Result notMounted = strata.strata(mode, data, "umount", target.toString());
        assertEquals("strata: " + target + " is not a mount point\n", notMounted.err());
    }
}
