package runtime.core.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import runtime.api.sys.Posix;

class PrivateDirectoryTest {
    @TempDir
    Path tmp;

    private static String mode(Path p) throws Exception {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS));
    }

    @Test
    void makesAMissingDirectory0700AndAcceptsItAgain() throws Exception {
        Path dir = tmp.resolve("a/strata-1");
        assertEquals(dir, PrivateDirectory.ensure(dir));
        assertEquals("rwx------", mode(dir));
        assertEquals(dir, PrivateDirectory.ensure(dir), "an own private directory is used as it is");
    }

    @Test
    void acceptsAnOwnDirectoryOthersMayOnlyTraverse() throws Exception {
        Path dir = Files.createDirectory(tmp.resolve("oci"), PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx--x--x")));
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx--x--x"));
        assertEquals(dir, PrivateDirectory.ensure(dir));
    }

    @Test
    void refusesASymlinkAndLeavesItsTargetAlone() throws Exception {
        Path victim = Files.createDirectory(tmp.resolve("victim"));
        Files.writeString(victim.resolve("precious"), "keep");
        Path link = Files.createSymbolicLink(tmp.resolve("strata-1"), victim);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> PrivateDirectory.ensure(link));
        assertEquals(link + " is a symbolic link, not strata's private directory; remove it, or set XDG_RUNTIME_DIR to a directory"
                + " of your own", e.getMessage());
        assertEquals("keep", Files.readString(victim.resolve("precious")));
        assertTrue(Files.isSymbolicLink(link));
    }

    @Test
    void refusesAFileAndAGroupOrWorldWritableDirectory() throws Exception {
        Path file = Files.writeString(tmp.resolve("file"), "");
        assertTrue(assertThrows(IllegalStateException.class, () -> PrivateDirectory.ensure(file)).getMessage().contains("is not a directory"));
        Path open = Files.createDirectory(tmp.resolve("open"));
        Files.setPosixFilePermissions(open, PosixFilePermissions.fromString("rwxrwxrwx"));
        assertEquals(open + " is writable by other users (mode 777); remove it, or set XDG_RUNTIME_DIR to a directory of your own",
                assertThrows(IllegalStateException.class, () -> PrivateDirectory.ensure(open)).getMessage());
    }

    @Test
    void theServersDirectoryIsRefusedWhenOthersMayEvenEnterIt() throws Exception {
        Path dir = tmp.resolve("server");
        assertEquals(dir, PrivateDirectory.ensureClosed(dir), "made 0700");
        assertEquals(dir, PrivateDirectory.ensureClosed(dir), "an own closed directory is used as it is");
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        assertEquals(dir, PrivateDirectory.ensure(dir), "ensure takes a directory others may only read");
        assertEquals(dir + " is open to other users (mode 755); chmod 0700 it, remove it, or set XDG_RUNTIME_DIR to a directory of your own",
                assertThrows(IllegalStateException.class, () -> PrivateDirectory.ensureClosed(dir)).getMessage());
        Path link = Files.createSymbolicLink(tmp.resolve("link"), dir);
        assertTrue(assertThrows(IllegalStateException.class, () -> PrivateDirectory.ensureClosed(link)).getMessage().contains("symbolic link"));
    }

    @Test
    void refusesADirectoryInAParentOthersMayWriteWithoutTheStickyBit() throws Exception {
        Path parent = Files.createDirectory(tmp.resolve("shared"));
        Files.setPosixFilePermissions(parent, PosixFilePermissions.fromString("rwxrwxrwx"));
        assertTrue(assertThrows(IllegalStateException.class, () -> PrivateDirectory.ensure(parent.resolve("strata-1"))).getMessage()
                .contains("which other users may write to without the sticky bit"));
        Files.setAttribute(parent, "unix:mode", 01777);
        assertEquals(parent.resolve("strata-1"), PrivateDirectory.ensure(parent.resolve("strata-1")), "sticky, like /tmp");
    }

    @Test
    void refusesAnotherUsersDirectory() throws Exception {
        assumeTrue(Posix.geteuid() == 0, "making another user's directory needs root");
        Path dir = Files.createDirectory(tmp.resolve("strata-0"));
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
        Files.setAttribute(dir, "unix:uid", 65534);
        assertEquals(dir + " belongs to uid 65534, not to you (uid 0): another user may have made it; remove it, or set"
                + " XDG_RUNTIME_DIR to a directory of your own", assertThrows(IllegalStateException.class, () -> PrivateDirectory.ensure(dir)).getMessage());
    }
}
