package runtime.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import runtime.cli.Installation.Mode;
import runtime.cli.Installation.Result;

/**
 * Resource abuse (issue 17 item 9), as root and rootless: a 100 MiB GNU long name imported by a JVM held
 * to 64 MiB of heap (it took 1.8 GB and printed a 100 MB error line), and a build step that leaves a tree
 * deeper than PATH_MAX, which {@code rm}, {@code purge --yes} and {@code fsck --repair} must still remove.
 */
class ResourceBoundsIT {
    /** Levels of the deep tree: "d/" 5000 times is 10000 characters, beyond PATH_MAX (4096). */
    private static final int DEPTH = 5000;

    @ParameterizedTest
    @EnumSource(Mode.class)
    void aHugeGnuLongNameIsRefusedInBoundedMemoryWithAShortLine(Mode mode) throws Exception {
        Installation strata = Installation.get();
        strata.assumeMode(mode);
        Path data = strata.newStore(mode);
        Path tar = strata.home.resolve("long-name-" + mode + ".tar");
        long nameBytes = 100L << 20;
        try (OutputStream out = Files.newOutputStream(tar)) {
            out.write(HostileArchives.Tar.header("././@LongLink", 'L', 0644, nameBytes, "", 0, 0, "ustar ", " \0"));
            byte[] chunk = new byte[1 << 20];
            Arrays.fill(chunk, (byte) 'a');
            for (long i = 0; i < nameBytes / chunk.length; i++) out.write(chunk);
            out.write(HostileArchives.Tar.header("a".repeat(99), '0', 0644, 0, "", 0, 0, "ustar ", " \0"));
            out.write(new byte[1024]);
        }
        Installation.exec(List.of("chmod", "a+r", tar.toString()));
        long layers = Installation.layerCount(data);
        Result r = strata.strata(mode, data, strata.home, Map.of("JAVA_TOOL_OPTIONS", "-Xmx64m"), null, "import-tar", tar.toString());
        assertNotEquals(0, r.exitCode(), r.out());
        List<String> lines = r.err().lines().filter(l -> !l.startsWith("Picked up JAVA_TOOL_OPTIONS")).toList();
        assertEquals(1, lines.size(), r.err().length() > 2000 ? r.err().substring(0, 2000) : r.err());
        assertTrue(lines.getFirst().contains("GNU long name entry of " + nameBytes + " bytes"), lines.getFirst());
        assertTrue(lines.getFirst().length() < 500, "an error line of " + lines.getFirst().length() + " characters");
        assertEquals(layers, Installation.layerCount(data), "a layer was kept");
        Files.delete(tar);
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void treesDeeperThanPathMaxAreRemovedByRmPurgeAndFsckRepair(Mode mode) throws Exception {
        Installation strata = Installation.get();
        strata.assumeMode(mode);
        Path data = strata.newStore(mode);
        String base = strata.importBusybox(mode, data);

        String deep = deepLayer(strata, mode, data, base);
        Result rm = strata.strata(mode, data, "rm", deep);
        assertEquals(0, rm.exitCode(), rm.err());
        assertNoDeepTree(data);

        deepLayer(strata, mode, data, base);
        Result purge = strata.strata(mode, data, "purge", "--yes");
        assertEquals(0, purge.exitCode(), purge.err());
        assertNoDeepTree(data);

        base = strata.importBusybox(mode, data);
        deep = deepLayer(strata, mode, data, base);
        // A layer fsck finds broken (its recorded parent gone) goes with --repair, deep tree and all.
        Path layerDir = layerDirectory(data, deep);
        Installation.exec(List.of("sh", "-c", "echo 0000000000000000000000000000000000000000000000000000000000000000 > "
                + layerDir.resolve("parent")));
        Result fsck = strata.strata(mode, data, "fsck", "--repair");
        assertTrue(fsck.out().contains("repaired"), fsck.out() + fsck.err());
        assertNoDeepTree(data);
    }

    /** A layer on {@code base} whose build step made a directory chain DEPTH levels deep. */
    private static String deepLayer(Installation strata, Mode mode, Path data, String base) throws Exception {
        // Nested from the top (a shell's cd fails past PATH_MAX): each round moves the tree one level down.
        Result r = strata.strata(mode, data, "build", "--from", base, "--run", "mkdir d && echo bottom > d/f && i=0; while [ $i -lt "
                + DEPTH + " ]; do mkdir t && mv d t/ && mv t d || exit 1; i=$((i+1)); done");
        assertEquals(0, r.exitCode(), r.err());
        return r.line();
    }

    private static Path layerDirectory(Path data, String id) throws Exception {
        String path = new String(new ProcessBuilder("sh", "-c", "ls -d " + data + "/layers/" + id + "* 2>/dev/null || true")
                .start().getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertTrue(!path.isEmpty() && Files.isDirectory(Path.of(path)), "no layer directory for " + id + " in " + data);
        return Path.of(path);
    }

    /** No directory chain of the deep tree's kind is left anywhere in the store (GNU find walks by descriptor). */
    private static void assertNoDeepTree(Path data) throws Exception {
        Process find = new ProcessBuilder("find", data.toString(), "-name", "f", "-path", "*/d/d/d/*").start();
        String found = new String(find.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, find.waitFor(), "find failed");
        assertEquals("", found.length() > 300 ? found.substring(0, 300) : found, "a deep tree is left in the store");
    }
}
