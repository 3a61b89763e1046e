package runtime.fs.fuse;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import runtime.api.fs.MountRequest;
import runtime.api.plan.SetupOp;
import runtime.api.sys.Posix;

/**
 * The drivers' conversions on upper directories laid out exactly as fuse-overlayfs 1.10 and
 * unionfs-fuse 1.0 leave them (as observed on this project's VM), and the mount plans. The programs
 * themselves are exercised by the conformance suite (FilesystemDriversIT).
 */
class UpperNormalizerTest {
    private static final boolean ROOTLESS_STORE = false;
    private static final String OPAQUE = "user.overlay.opaque";

    @Test
    void unionfsMarkersBecomeWhiteoutsAndOpaqueDirectories(@TempDir Path dir) throws Exception {
        Path lower = Files.createDirectories(dir.resolve("lower/etc/sub"));
        Files.setPosixFilePermissions(lower, PosixFilePermissions.fromString("rwx--x---"));
        Path upper = Files.createDirectories(dir.resolve("upper"));
        Path meta = upper.resolve(".unionfs-fuse");
        // rm /gone; rm -r /etc/sub/deleted (a file below it, then the directory); rm -r /remade; mkdir /remade
        Files.createDirectories(meta.resolve("etc/sub/deleted"));
        Files.createFile(meta.resolve("gone_HIDDEN~"));
        Files.createFile(meta.resolve("etc/sub/deleted/x_HIDDEN~"));
        Files.createDirectories(meta.resolve("etc/sub/deleted_HIDDEN~"));
        Files.createDirectories(meta.resolve("remade_HIDDEN~"));
        Files.createDirectories(upper.resolve("remade"));
        Files.createFile(upper.resolve(".fuse_hidden0001"));

        new UnionfsFuseDriver().normalizeUpper(upper, List.of(dir.resolve("lower")), ROOTLESS_STORE);

        assertTrue(LayerMarkers.isWhiteout(upper.resolve("gone")));
        assertTrue(LayerMarkers.isWhiteout(upper.resolve("etc/sub/deleted")));
        assertFalse(Files.exists(upper.resolve("etc/sub/deleted/x"), LinkOption.NOFOLLOW_LINKS));
        assertArrayEquals(new byte[] {'y'}, Posix.getxattr(upper.resolve("remade").toString(), OPAQUE));
        assertFalse(Files.exists(meta));
        assertFalse(Files.exists(upper.resolve(".fuse_hidden0001")));
        // The parent the deletion needed was made with the lower directory's mode, as a copy-up would.
        assertEquals("rwx--x---", PosixFilePermissions.toString(Files.getPosixFilePermissions(upper.resolve("etc/sub"))));
    }

    @Test
    void fuseOverlayfsWhiteoutFilesAndItsOpaqueAttributeBecomeTheStoreFormat(@TempDir Path upper) throws Exception {
        Files.createFile(upper.resolve(".wh.gone"));
        Path opq = Files.createDirectory(upper.resolve("opq"));
        Files.createFile(opq.resolve(".wh..wh..opq"));
        Files.writeString(opq.resolve("kept"), "k");
        Path own = Files.createDirectory(upper.resolve("own"));
        Posix.setxattr(own.toString(), UpperNormalizer.FUSE_OVERLAYFS_OPAQUE, new byte[] {'y'});

        new FuseOverlayDriver().normalizeUpper(upper, List.of(), ROOTLESS_STORE);

        assertTrue(LayerMarkers.isWhiteout(upper.resolve("gone")));
        assertFalse(Files.exists(upper.resolve(".wh.gone")));
        assertArrayEquals(new byte[] {'y'}, Posix.getxattr(opq.toString(), OPAQUE));
        assertFalse(Files.exists(opq.resolve(".wh..wh..opq")));
        assertEquals("k", Files.readString(opq.resolve("kept")));
        assertArrayEquals(new byte[] {'y'}, Posix.getxattr(own.toString(), OPAQUE));
        assertNull(Posix.getxattr(own.toString(), UpperNormalizer.FUSE_OVERLAYFS_OPAQUE));
    }

    @Test
    void storeLayersGetMarkerBranchesAboveForWhiteoutsAndBelowForOpaqueDirectories(@TempDir Path dir) throws Exception {
        Path top = Files.createDirectories(dir.resolve("top"));
        Path bottom = Files.createDirectories(dir.resolve("bottom"));
        UpperNormalizer.whiteout(top.resolve("deleted"));
        Path opq = Files.createDirectory(top.resolve("opq"));
        UpperNormalizer.markOpaque(opq, ROOTLESS_STORE);
        List<SetupOp> ops = new UnionfsFuseDriver().mount(new MountRequest(List.of(top, bottom), dir.resolve("upper"),
                dir.resolve("work"), dir.resolve("root"), true));
        SetupOp.StartFuse start = (SetupOp.StartFuse) ops.getLast();
        assertEquals(dir.resolve("upper") + "=RW:" + dir.resolve("work/w0") + "=RO:" + top + "=RO:" + dir.resolve("work/o0")
                + "=RO:" + bottom + "=RO", start.argv().get(4));
        assertTrue(ops.contains(new SetupOp.MakeDirectories(dir.resolve("work/w0/.unionfs-fuse/deleted_HIDDEN~"), 0700)));
        assertTrue(ops.contains(new SetupOp.MakeDirectories(dir.resolve("work/o0/.unionfs-fuse/opq_HIDDEN~"), 0700)));
        assertTrue(start.argv().contains("-f"), "the daemon must stay in the foreground");
    }

    @Test
    void pathsTheProgramsCannotParseAreRefused(@TempDir Path dir) {
        MountRequest bad = new MountRequest(List.of(dir.resolve("a:b")), dir.resolve("upper"), dir.resolve("work"),
                dir.resolve("root"), true);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new FuseOverlayDriver().mount(bad));
        assertEquals("fuse-overlayfs cannot use a path containing ':': " + dir.resolve("a:b"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new UnionfsFuseDriver().mount(bad));
    }

    @Test
    void markerScansRoundTrip() {
        LayerMarkers m = new LayerMarkers(List.of("a/b", "new\nline"), List.of("c"));
        assertEquals(m, LayerMarkers.decode(m.encode()));
    }
}
