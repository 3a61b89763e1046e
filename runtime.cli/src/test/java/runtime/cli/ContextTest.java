package runtime.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import runtime.api.sys.Posix;

/** What {@link Context#ofThisProcess} reads without native calls agrees with the system's own answers. */
class ContextTest {
    @TempDir
    Path dir;

    @Test
    void terminalFromTheDescriptorsNameAgreesWithIsatty() throws Exception {
        Path file = Files.writeString(dir.resolve("f"), "x");
        int[] pipe = Posix.pipe();
        int[] fds = {Posix.open("/dev/null", 0, 0), Posix.open("/dev/ptmx", 02 /* O_RDWR */, 0), Posix.open(file.toString(), 0, 0),
                pipe[0], pipe[1]};
        try {
            for (int fd : fds) assertEquals(Posix.isatty(fd), Context.terminal(fd), Files.readSymbolicLink(Path.of("/proc/self/fd/" + fd)).toString());
            assertEquals(true, Context.terminal(fds[1]), "a pty master is a terminal");
        } finally {
            for (int fd : fds) Posix.close(fd);
        }
        assertEquals(false, Context.terminal(999), "a closed descriptor");
    }

    @Test
    void umaskIsTheProcesssOwn() throws Exception {
        // A child inherits the umask; the shell prints it in octal.
        Process p = new ProcessBuilder("sh", "-c", "umask").start();
        String octal = new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).strip();
        assertEquals(0, p.waitFor());
        assertEquals(Integer.parseInt(octal, 8), Context.ownUmask());
    }
}
