package runtime.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Everything about one invocation's caller: arguments, environment, working directory, umask and
 * standard descriptors. Commands read these from here, never from the JVM's globals (System.out,
 * System.getenv, user.dir, the JVM's own descriptors 0/1/2), so one JVM (the per-user server) can run
 * concurrent invocations of different callers correctly.
 *
 * @param args    argv after the program name
 * @param env     the caller's environment
 * @param cwd     the caller's working directory (absolute)
 * @param umask   the caller's umask
 * @param stdio   the caller's standard descriptors
 * @param program {@code strata} or {@code strata-oci} (argv[0]'s base name)
 */
public record Context(List<String> args, Map<String, String> env, Path cwd, int umask, Stdio stdio, String program) {
    public Context {
        args = List.copyOf(args);
        env = Map.copyOf(env);
        if (!cwd.isAbsolute()) throw new IllegalArgumentException("the working directory must be absolute: " + cwd);
    }

    /**
     * The caller's fds 0, 1, 2 as numbers valid in THIS process (0/1/2 in a plain JVM; received
     * descriptors in the server), streams over them, and whether each is a terminal.
     */
    public record Stdio(int inFd, int outFd, int errFd, InputStream in, PrintStream out, PrintStream err,
                        boolean inTty, boolean outTty, boolean errTty) {}

    /**
     * This JVM's own caller: System.in/out/err on descriptors 0/1/2, System.getenv, user.dir, the umask
     * from /proc/self/status. Used by {@link Main#main}.
     */
    public static Context ofThisProcess(String[] args) {
        Stdio stdio = new Stdio(0, 1, 2, System.in, System.out, System.err, terminal(0), terminal(1), terminal(2));
        return new Context(List.of(args), System.getenv(), Path.of(System.getProperty("user.dir")), ownUmask(), stdio, "strata");
    }

    /** The umask when /proc does not say (kernels before 4.7): the usual default. */
    static final int DEFAULT_UMASK = 022;

    /**
     * Whether this process's descriptor {@code fd} is a terminal, from the name /proc gives its file
     * ({@code /dev/pts/N}, {@code /dev/ttyN}, {@code /dev/console}, a pty master) rather than isatty(3): a native call
     * here would be the first of a cold start, and that first call costs 6-10 ms of linking that
     * {@code strata version} or {@code images} never pays otherwise (see Posix.linkAhead).
     */
    static boolean terminal(int fd) {
        try {
            String file = Files.readSymbolicLink(Path.of("/proc/self/fd/" + fd)).toString();
            return file.startsWith("/dev/pts/") || file.startsWith("/dev/tty") || file.equals("/dev/console")
                    || file.equals("/dev/ptmx") || file.startsWith("/dev/pts/ptmx");
        } catch (IOException | UnsupportedOperationException e) {
            return false; // closed descriptor
        }
    }

    /**
     * This process's umask, read from /proc (umask(2) can only read it by changing it); the bytes as
     * Latin-1, which needs no charset decoder on a cold start.
     */
    static int ownUmask() {
        try {
            String status = new String(Files.readAllBytes(Path.of("/proc/self/status")), StandardCharsets.ISO_8859_1);
            int at = status.indexOf("\nUmask:");
            if (at >= 0) {
                int end = status.indexOf('\n', at + 1);
                return Integer.parseInt(status.substring(at + 7, end < 0 ? status.length() : end).trim(), 8);
            }
        } catch (IOException | NumberFormatException e) {
            // fall through
        }
        return DEFAULT_UMASK;
    }

    /** Resolves a path the user gave against the caller's working directory. */
    public Path path(String given) {
        return cwd.resolve(given).normalize();
    }

    /** This context with other arguments (the interactive shell's default, plash's --from form). */
    public Context withArgs(List<String> newArgs) {
        return new Context(newArgs, env, cwd, umask, stdio, program);
    }
}
