package runtime.cli;

import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Everything about one invocation's caller (the interface shared with the invocation-context work of
 * issue 18, notes/context-contract.md). This branch carries only the record: the server builds one per
 * invocation from what the native front sent; {@link Main#run(Context)} runs it.
 */
public record Context(List<String> args, Map<String, String> env, Path cwd, int umask, Stdio stdio, String program) {
    /** The caller's fds 0, 1, 2 as numbers valid in this process, streams over them, and which are terminals. */
    public record Stdio(int inFd, int outFd, int errFd, InputStream in, PrintStream out, PrintStream err,
                        boolean inTty, boolean outTty, boolean errTty) {}
}
