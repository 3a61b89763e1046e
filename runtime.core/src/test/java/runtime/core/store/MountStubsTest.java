package runtime.core.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Which entries of an upper directory are the mount points strata made, and which the step made. */
class MountStubsTest {
    static final List<String> TARGETS = List.of("/tmp", "/run/user", "/etc/resolv.conf", "/etc/hosts");

    @TempDir
    Path dir;

    private Path directory(Path p, String mode) throws Exception {
        Files.createDirectories(p);
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString(mode));
        return p;
    }

    @Test
    void stubsAndTheirCopiedUpParentsGoWhatTheStepWroteStays() throws Exception {
        Path lower = dir.resolve("lower");
        directory(lower.resolve("etc"), "rwxr-xr-x");
        directory(lower.resolve("tmp"), "rwxrwxrwx");
        Path upper = dir.resolve("upper");
        directory(upper.resolve("etc"), "rwxr-xr-x");
        Files.createFile(upper.resolve("etc/hosts"));
        Files.createFile(upper.resolve("etc/resolv.conf"));
        directory(upper.resolve("run/user"), "rwxr-xr-x");
        directory(upper.resolve("run"), "rwxr-xr-x");

        assertEquals(List.of("run/user", "run", "etc/resolv.conf", "etc/hosts", "etc"),
                MountStubs.find(upper, List.of(lower), TARGETS, false));
        assertEquals(List.of("run/user", "run", "etc/resolv.conf", "etc/hosts", "etc"),
                MountStubs.remove(upper, List.of(lower), TARGETS, false));
        try (var left = Files.list(upper)) {
            assertEquals(0, left.count(), "an untouched step leaves an empty layer");
        }
    }

    @Test
    void aParentTheStepChangedOrFilledIsKept() throws Exception {
        Path lower = dir.resolve("lower");
        directory(lower.resolve("etc"), "rwxr-xr-x");
        directory(lower.resolve("run"), "rwxr-xr-x");
        Path upper = dir.resolve("upper");
        directory(upper.resolve("etc"), "rwx------"); // chmod 700 /etc by the step
        Files.createFile(upper.resolve("etc/hosts"));
        directory(upper.resolve("run/user"), "rwxr-xr-x");
        Files.writeString(upper.resolve("run/mine"), "x");
        Files.writeString(upper.resolve("etc/resolv.conf"), "nameserver 1.1.1.1\n"); // not an empty stub

        assertEquals(List.of("run/user", "etc/hosts"), MountStubs.remove(upper, List.of(lower), TARGETS, false));
        assertTrue(Files.isDirectory(upper.resolve("etc")));
        assertTrue(Files.exists(upper.resolve("etc/resolv.conf")));
        assertTrue(Files.exists(upper.resolve("run/mine")));
    }

    @Test
    void onlyLayersMadeByRunningCanHoldStubs() {
        assertTrue(MountStubs.madeByRunning("run true"));
        assertTrue(MountStubs.madeByRunning("create 1234 sh"));
        assertEquals(false, MountStubs.madeByRunning("sha256:abcd"));
        assertEquals(false, MountStubs.madeByRunning(null));
    }
}
