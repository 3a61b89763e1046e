package runtime.core;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * Who a command runs for, as runtime.core needs it: the caller's environment, working directory and
 * umask, its standard descriptors as numbers valid in this process (0, 1, 2 in a plain JVM; descriptors
 * received from a front in the server), and where one-line notes and progress for it go. Core code takes
 * these from here, never from the JVM's globals, so one JVM can serve concurrent callers.
 *
 * @param stdinTerminal whether the caller's standard input is a terminal
 * @param diagnostics the caller's standard error, for warnings and progress lines
 * @param diagnosticsTerminal whether that is a terminal (progress is drawn only then)
 */
public record Caller(Map<String, String> env, Path cwd, int umask, int stdinFd, int stdoutFd, int stderrFd,
                     boolean stdinTerminal, PrintStream diagnostics, boolean diagnosticsTerminal) {
    public Caller {
        if (!cwd.isAbsolute()) throw new IllegalArgumentException("the working directory must be absolute: " + cwd);
    }

    /** A caller on this process's own descriptors, in {@code /}, with the usual umask (tools, benchmarks). */
    public static Caller onOwnDescriptors(Map<String, String> env, PrintStream diagnostics) {
        return new Caller(env, Path.of("/"), 022, 0, 1, 2, false, diagnostics, false);
    }

    /** The same caller with another environment (a scratch store for a self-check, say). */
    public Caller withEnv(Map<String, String> newEnv) {
        return new Caller(newEnv, cwd, umask, stdinFd, stdoutFd, stderrFd, stdinTerminal, diagnostics, diagnosticsTerminal);
    }

    /** A path the caller gave, resolved against its working directory. */
    public Path resolve(Path given) {
        return cwd.resolve(given).normalize();
    }

    /**
     * The descriptors a child started for this caller gets as 0, 1 and 2: the caller's, then
     * {@code overrides} (child descriptor to one of this process's). Entries that map a descriptor to
     * itself are left out: that is inheritance, and a plain JVM's run hands the helper nothing extra.
     */
    public Map<Integer, Integer> childStdio(Map<Integer, Integer> overrides) {
        Map<Integer, Integer> fds = new HashMap<>();
        if (stdinFd != 0) fds.put(0, stdinFd);
        if (stdoutFd != 1) fds.put(1, stdoutFd);
        if (stderrFd != 2) fds.put(2, stderrFd);
        for (var e : overrides.entrySet()) {
            if (e.getKey().equals(e.getValue())) fds.remove(e.getKey());
            else fds.put(e.getKey(), e.getValue());
        }
        return fds;
    }

    /** Descriptor {@code n} (0, 1, 2) of the caller as a descriptor of this process. */
    public int fd(int n) {
        return switch (n) {
            case 0 -> stdinFd;
            case 1 -> stdoutFd;
            case 2 -> stderrFd;
            default -> throw new IllegalArgumentException("not a standard descriptor: " + n);
        };
    }
}
