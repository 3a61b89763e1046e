package runtime.core.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TarExtractorTest {
    @TempDir
    Path dir;
    Path layer;
    Path outside;

    @BeforeEach
    void setUp() throws Exception {
        layer = Files.createDirectories(dir.resolve("layer"));
        outside = Files.createDirectories(dir.resolve("outside"));
    }

    private void extract(byte[] tar) throws Exception {
        new TarExtractor(layer, runtime.api.sys.Posix.getuid() == 0).extract(new ByteArrayInputStream(tar));
    }

    private long outsideEntries() throws Exception {
        try (var s = Files.list(outside)) {
            return s.count();
        }
    }

    @Test
    void unpacksFilesDirectoriesLinksAndModes() throws Exception {
        extract(new TarFixtures().dir("etc", 0755).file("etc/passwd", "root:x:0:0::/root:/bin/sh\n", 0644)
                .dir("ro", 0555).file("ro/inside", "x", 0600).file("bin/tool", "#!/bin/sh\n", 04755)
                .symlink("lib", "usr/lib").hardlink("etc/passwd2", "etc/passwd").bytes());
        assertEquals("root:x:0:0::/root:/bin/sh\n", Files.readString(layer.resolve("etc/passwd")));
        assertEquals(0555, (int) Files.getAttribute(layer.resolve("ro"), "unix:mode") & 07777);
        assertEquals("x", Files.readString(layer.resolve("ro/inside")));
        assertEquals(04755, (int) Files.getAttribute(layer.resolve("bin/tool"), "unix:mode") & 07777);
        assertEquals(Path.of("usr/lib"), Files.readSymbolicLink(layer.resolve("lib")));
        assertEquals(2, (int) Files.getAttribute(layer.resolve("etc/passwd"), "unix:nlink"));
    }

    @Test
    void dotDotOutOfTheLayerIsRefused() throws Exception {
        StoreException e = assertThrows(StoreException.class,
                () -> extract(new TarFixtures().file("../outside/evil", "x", 0644).bytes()));
        assertTrue(e.getMessage().contains("outside the layer"), e.getMessage());
        assertEquals(0, outsideEntries());
    }

    @Test
    void absolutePathsLandInsideTheLayer() throws Exception {
        extract(new TarFixtures().file("/etc/abs", "x", 0644).bytes());
        assertTrue(Files.exists(layer.resolve("etc/abs")));
    }

    @Test
    void writingThroughAnAbsoluteSymlinkStaysInside() throws Exception {
        extract(new TarFixtures().symlink("escape", outside.toString()).file("escape/evil", "x", 0644).bytes());
        assertEquals(0, outsideEntries());
        // The symlink is followed as if the layer were /: the file lands at layer/<outside path>/evil.
        assertTrue(Files.exists(layer.resolve(outside.toString().substring(1)).resolve("evil")));
    }

    @Test
    void writingThroughARelativeSymlinkThatClimbsStaysInside() throws Exception {
        extract(new TarFixtures().symlink("up", "../../../../../../../..").file("up/evil", "x", 0644).bytes());
        assertEquals(0, outsideEntries());
        assertTrue(Files.exists(layer.resolve("evil")), ".. stops at the layer root");
    }

    @Test
    void hardLinkToAHostFileIsRefused() throws Exception {
        Files.writeString(outside.resolve("secret"), "s");
        assertThrows(StoreException.class,
                () -> extract(new TarFixtures().hardlink("stolen", "../outside/secret").bytes()));
        assertThrows(StoreException.class,
                () -> extract(new TarFixtures().symlink("o", outside.toString()).hardlink("stolen", "o/secret").bytes()));
        assertFalse(Files.exists(layer.resolve("stolen")));
    }

    @Test
    void laterEntriesReplaceEarlierOnesWithoutFollowingThem() throws Exception {
        Files.writeString(outside.resolve("target"), "original");
        extract(new TarFixtures().symlink("f", outside.resolve("target").toString()).file("f", "replaced", 0644).bytes());
        assertEquals("original", Files.readString(outside.resolve("target")));
        assertFalse(Files.isSymbolicLink(layer.resolve("f")));
        assertEquals("replaced", Files.readString(layer.resolve("f")));
    }

    @Test
    void ociWhiteoutsBecomeOverlayWhiteouts() throws Exception {
        extract(new TarFixtures().file("etc/.wh.gone", "", 0644).file("etc/kept", "k", 0644)
                .dir("var/cache", 0755).file("var/cache/.wh..wh..opq", "", 0644).bytes());
        assertEquals(List.of("gone", "kept"), Files.list(layer.resolve("etc")).map(p -> p.getFileName().toString()).sorted().toList());
        assertTrue(LayerFormat.isWhiteout(layer.resolve("etc/gone")));
        assertFalse(LayerFormat.isWhiteout(layer.resolve("etc/kept")));
        boolean root = runtime.api.sys.Posix.getuid() == 0;
        assertTrue(LayerFormat.isOpaque(layer.resolve("var/cache"), root));
        assertFalse(LayerFormat.isOpaque(layer.resolve("etc"), root));
        assertEquals(List.of(), Files.list(layer.resolve("var/cache")).toList(), "the marker itself is not kept");
    }

    @Test
    void symlinkLoopsAreAnError() throws Exception {
        StoreException e = assertThrows(StoreException.class,
                () -> extract(new TarFixtures().symlink("a", "b").symlink("b", "a").file("a/x", "x", 0644).bytes()));
        assertTrue(e.getMessage().contains("too many symlinks"), e.getMessage());
    }

    @Test
    void normaliseDropsDotsAndEmptyParts() {
        assertEquals(List.of("a", "c"), TarExtractor.normalise("./a//b/../c/"));
        assertThrows(StoreException.class, () -> TarExtractor.normalise("a/../../b"));
        assertFalse(Files.exists(layer.resolve("b"), LinkOption.NOFOLLOW_LINKS));
    }

    @Test
    void layerSizeAndEntryLimitsAreEnforcedWithAClearError() throws Exception {
        byte[] big = new TarFixtures().file("a", "x".repeat(600), 0644).file("b", "y".repeat(600), 0644).bytes();
        StoreException size = assertThrows(StoreException.class, () ->
                new TarExtractor(layer, false, new TarExtractor.Limits(1000, 100)).extract(new ByteArrayInputStream(big)));
        assertEquals("tar entry b: the layer unpacks to more than 1000 bytes (the limit is STRATA_MAX_LAYER_SIZE)", size.getMessage());
        StoreException count = assertThrows(StoreException.class, () ->
                new TarExtractor(layer, false, new TarExtractor.Limits(10_000, 1)).extract(new ByteArrayInputStream(big)));
        assertEquals("tar: more than 1 entries (the limit is STRATA_MAX_LAYER_ENTRIES)", count.getMessage());
        TarExtractor fits = new TarExtractor(dir.resolve("fits"), false, new TarExtractor.Limits(1200, 2));
        Files.createDirectory(dir.resolve("fits"));
        fits.extract(new ByteArrayInputStream(big));
        assertEquals(1200, fits.bytes());
    }

    @Test
    void limitsComeFromTheEnvironment() {
        assertEquals(TarExtractor.Limits.DEFAULT, TarExtractor.Limits.fromEnvironment(java.util.Map.of()));
        assertEquals(new TarExtractor.Limits(3L << 20, 7), TarExtractor.Limits.fromEnvironment(
                java.util.Map.of("STRATA_MAX_LAYER_SIZE", "3M", "STRATA_MAX_LAYER_ENTRIES", "7")));
        assertEquals(2L << 30, TarExtractor.Limits.fromEnvironment(java.util.Map.of("STRATA_MAX_LAYER_SIZE", "2g")).maxBytes());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TarExtractor.Limits.fromEnvironment(java.util.Map.of("STRATA_MAX_LAYER_ENTRIES", "10k")));
        assertEquals("bad STRATA_MAX_LAYER_ENTRIES '10k': a positive number", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> TarExtractor.Limits.fromEnvironment(java.util.Map.of("STRATA_MAX_LAYER_SIZE", "-1")));
        assertThrows(IllegalArgumentException.class, () -> TarExtractor.Limits.fromEnvironment(java.util.Map.of("STRATA_MAX_LAYER_SIZE", "99999999999t")));
    }

    @Test
    void whiteoutsNamingTheParentAreRefusedAndDeleteNothing() throws Exception {
        for (String bad : List.of("a/b/.wh..", "a/b/.wh.", "a/b/.wh..wh.aufs")) {
            Path l = Files.createDirectories(dir.resolve("w" + Math.abs(bad.hashCode())));
            StoreException e = assertThrows(StoreException.class, () -> new TarExtractor(l, false)
                    .extract(new ByteArrayInputStream(new TarFixtures().file("a/b/keep", "k", 0644).file(bad, "", 0644).bytes())));
            assertEquals("tar entry " + bad + ": invalid whiteout", e.getMessage());
            assertEquals("k", Files.readString(l.resolve("a/b/keep")), "nothing unpacked before was deleted");
        }
    }

    @Test
    void hardLinksToWhiteoutsAreRefused() throws Exception {
        StoreException e = assertThrows(StoreException.class,
                () -> extract(new TarFixtures().file("etc/.wh.gone", "", 0644).hardlink("etc/copy", "etc/gone").bytes()));
        assertTrue(e.getMessage().contains("hard link to missing or non-file"), e.getMessage());
    }

    @Test
    void aDirectoryReplacedByASymlinkAfterUseIsNotWrittenThrough() throws Exception {
        // "d" is resolved (and remembered) for d/a, then becomes a symlink out of the layer: d/b must still
        // land inside, and d's deferred mode must not be applied through the link to the host.
        Files.setPosixFilePermissions(outside, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
        extract(new TarFixtures().dir("d", 0555).file("d/a", "a", 0644).symlink("d", outside.toString())
                .file("d/b", "b", 0644).bytes());
        assertEquals(0, outsideEntries());
        assertTrue(Files.exists(layer.resolve(outside.toString().substring(1)).resolve("b")));
        assertEquals("rwx------", java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(outside)));
    }

    @Test
    void sizeCountsFilesOnceEachNameLikeAWalk() throws Exception {
        TarExtractor extractor = new TarExtractor(layer, false);
        extractor.extract(new ByteArrayInputStream(new TarFixtures().file("a", "12345", 0644).file("d/b", "123", 0644)
                .hardlink("d/c", "a").file("a", "1", 0644).dir("gone", 0755).file("gone/x", "1234567", 0644)
                .file("gone", "22", 0644).bytes()));
        assertEquals(Trees.size(layer), extractor.size());
        assertEquals(1 + 3 + 5 + 2, extractor.size());
    }
}
