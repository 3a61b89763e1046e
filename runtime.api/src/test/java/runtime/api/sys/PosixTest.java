package runtime.api.sys;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PosixTest {
    @Test
    void idsMatchWhatIdSays() throws Exception {
        assertEquals(Integer.parseInt(run("id", "-u")), Posix.getuid());
        assertEquals(Integer.parseInt(run("id", "-g")), Posix.getgid());
        assertEquals(ProcessHandle.current().pid(), Posix.getpid());
    }

    @Test
    void idsFromProcMatchTheSystemCalls() {
        try (var arena = java.lang.foreign.Arena.ofConfined()) {
            var state = LibC.captureState(arena);
            assertEquals((int) Syscall.call(state, Syscall.GETUID, 0, 0, 0, 0), ProcStatus.id("Uid:", 0));
            assertEquals((int) Syscall.call(state, Syscall.GETEUID, 0, 0, 0, 0), ProcStatus.id("Uid:", 1));
            assertEquals((int) Syscall.call(state, Syscall.GETGID, 0, 0, 0, 0), ProcStatus.id("Gid:", 0));
        }
        assertEquals(-1, ProcStatus.id("NoSuchField:", 0));
    }

    private static String run(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        assertEquals(0, p.waitFor());
        return out;
    }

    @Test
    void pipeCarriesBytesBothWays() throws Exception {
        int[] p = Posix.pipe();
        try {
            Posix.writeAll(p[1], "hello".getBytes(StandardCharsets.UTF_8));
            Posix.close(p[1]);
            p[1] = -1;
            byte[] buf = new byte[16];
            int n = Posix.read(p[0], buf, buf.length);
            assertEquals("hello", new String(buf, 0, n, StandardCharsets.UTF_8));
            assertEquals(0, Posix.read(p[0], buf, buf.length), "end of file after the writer closed");
        } finally {
            Posix.close(p[0]);
            Posix.close(p[1]);
        }
    }

    @Test
    void spawnMapsDescriptorsAndReportsExitCodes() throws Exception {
        int[] p = Posix.pipe();
        long pid = Spawn.spawn("/bin/sh", List.of("sh", "-c", "echo from-child >&5; exit 7"), List.of("PATH=/bin:/usr/bin"),
                Map.of(5, p[1]));
        Posix.close(p[1]);
        WaitStatus status = new WaitStatus(Posix.waitpid(pid));
        byte[] buf = new byte[64];
        int n = Posix.read(p[0], buf, buf.length);
        Posix.close(p[0]);
        assertTrue(status.exited());
        assertEquals(7, status.exitCode());
        assertEquals("from-child\n", new String(buf, 0, n, StandardCharsets.UTF_8));
    }

    @Test
    void spawnSwapsDescriptorsThatAreEachOthersTargets() throws Exception {
        int[] a = Posix.pipe();
        int[] b = Posix.pipe();
        // a's writer goes to b's writer's number and the other way round: the sources clash with the targets.
        long pid = Spawn.spawn("/bin/bash", List.of("bash", "-c", "echo to-a >&" + b[1] + "; echo to-b >&" + a[1]),
                List.of("PATH=/bin:/usr/bin"), Map.of(b[1], a[1], a[1], b[1]));
        Posix.close(a[1]);
        Posix.close(b[1]);
        assertEquals(0, new WaitStatus(Posix.waitpid(pid)).exitCode());
        byte[] buf = new byte[64];
        assertEquals("to-a\n", new String(buf, 0, Posix.read(a[0], buf, buf.length), StandardCharsets.UTF_8));
        assertEquals("to-b\n", new String(buf, 0, Posix.read(b[0], buf, buf.length), StandardCharsets.UTF_8));
        Posix.close(a[0]);
        Posix.close(b[0]);
    }

    @Test
    void onlyTerminalsAreTerminals() throws Exception {
        int[] p = Posix.pipe();
        try {
            assertFalse(Posix.isatty(p[0]), "a pipe");
            assertFalse(Posix.isatty(-1), "a bad descriptor");
        } finally {
            Posix.close(p[0]);
            Posix.close(p[1]);
        }
        // A pseudo-terminal's master side is a terminal too.
        int pty = Posix.open("/dev/ptmx", 02 /* O_RDWR */ | Posix.O_CLOEXEC, 0);
        try {
            assertTrue(Posix.isatty(pty));
        } finally {
            Posix.close(pty);
        }
        assertEquals(Integer.parseInt(run("id", "-u")), Posix.geteuid());
    }

    @Test
    void killedChildReportsItsSignal() throws Exception {
        long pid = Spawn.spawn("/bin/sleep", List.of("sleep", "30"), List.of(), Map.of());
        assertTrue(Posix.kill(pid, Posix.SIGTERM));
        WaitStatus status = new WaitStatus(Posix.waitpid(pid));
        assertFalse(status.exited());
        assertTrue(status.signaled());
        assertEquals(Posix.SIGTERM, status.signal());
        assertEquals(128 + 15, status.shellCode());
        assertFalse(Posix.kill(pid, 0), "a reaped child no longer exists");
    }

    @Test
    void spawnOfMissingProgramFailsWithErrno() {
        ErrnoException e = assertThrows(ErrnoException.class,
                () -> Spawn.spawn("/nonexistent/program", List.of("x"), List.of(), Map.of()));
        assertEquals(Errno.ENOENT, e.errno());
        assertTrue(e.getMessage().endsWith("No such file or directory"), e.getMessage());
    }

    @Test
    void mknodMakesFifos(@TempDir Path dir) throws Exception {
        Path fifo = dir.resolve("fifo");
        Posix.mknod(fifo.toString(), Posix.S_IFIFO | 0600, 0, 0);
        assertTrue(Files.exists(fifo));
        assertFalse(Files.isRegularFile(fifo));
        ErrnoException again = assertThrows(ErrnoException.class, () -> Posix.mknod(fifo.toString(), Posix.S_IFIFO | 0600, 0, 0));
        assertEquals(Errno.EEXIST, again.errno());
    }

    /**
     * The libc functions all go through one linked shape with word arguments: each must still see its own
     * arguments (ints, pointers, a 64-bit dev_t) and report its own errno.
     */
    @Test
    void libcFunctionsGetTheirArgumentsAndErrnoThroughTheSharedShape(@TempDir Path dir) throws Exception {
        Path a = Files.writeString(dir.resolve("a"), "a");
        Path b = Files.writeString(dir.resolve("b"), "b");
        Posix.chmod(a.toString(), 0640);
        assertEquals("rw-r-----", java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(a)));
        Posix.setModificationTime(a.toString(), 1_000_000_000L, 5);
        assertEquals(java.time.Instant.ofEpochSecond(1_000_000_000L, 5), Files.getLastModifiedTime(a).toInstant());
        Posix.renameExchange(a.toString(), b.toString());
        assertEquals("b", Files.readString(a));
        assertEquals("a", Files.readString(b));
        int fd = Posix.open(dir.resolve("c").toString(), Posix.O_WRONLY | Posix.O_CREAT, 0600);
        Posix.writeAll(fd, "written".getBytes(StandardCharsets.UTF_8));
        Posix.close(fd);
        assertEquals("written", Files.readString(dir.resolve("c")));
        int previous = Posix.umask(022);
        assertEquals(022, Posix.umask(previous));
        assertEquals(null, Posix.getxattr(a.toString(), "user.strata.absent"));
        ErrnoException missing = assertThrows(ErrnoException.class, () -> Posix.open(dir.resolve("none").toString(), 0, 0));
        assertEquals(Errno.ENOENT, missing.errno());
        ErrnoException busy = assertThrows(ErrnoException.class, () -> Posix.umount2(dir.toString(), 0));
        assertEquals(Posix.getuid() == 0 ? Errno.EINVAL : Errno.EPERM, busy.errno(), "not a mount point, or not root");
        assertEquals("Permission denied", Errno.describe(Errno.EACCES));
    }

    @Test
    void waitStatusDecodesLikeAShell() {
        assertEquals(3, new WaitStatus(3 << 8).shellCode());
        assertEquals(137, new WaitStatus(9).shellCode());
        assertArrayEquals(new boolean[] {true, false}, new boolean[] {new WaitStatus(0).exited(), new WaitStatus(0).signaled()});
    }
}
