package runtime.cli;

import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** Invocation contexts for tests that call {@link Main#run} in this JVM: streams of the test's, no terminal. */
final class TestContexts {
    private TestContexts() {}

    /** {@code args} for a caller in {@code cwd} with {@code env}, reading {@code in} and writing {@code out}, {@code err}. */
    static Context of(List<String> args, Map<String, String> env, Path cwd, InputStream in, PrintStream out, PrintStream err) {
        // The descriptors are this JVM's own 0/1/2: only a child a command starts uses them, never the streams.
        return new Context(args, env, cwd, 022, new Context.Stdio(0, 1, 2, in, out, err, false, false, false), "strata");
    }

    /** As {@link #of} with nothing on standard input, in the JVM's working directory. */
    static Context of(List<String> args, Map<String, String> env, PrintStream out, PrintStream err) {
        return of(args, env, Path.of("").toAbsolutePath(), InputStream.nullInputStream(), out, err);
    }
}
