package runtime.cli;

import org.apache.commons.cli.Options;

/**
 * One strata command, in the manner of plash's one-file-per-command CLI. Options are parsed with
 * commons-cli up to the first non-option argument; everything from there on is positional (so a
 * container's own command line passes through untouched).
 */
public interface Command {
    /** The name typed after {@code strata}. */
    String name();

    /** One line for {@code strata help}. */
    String summary();

    /** The positional arguments, e.g. {@code "IMAGE [CMD...]"}. */
    default String arguments() {
        return "";
    }

    default Options options() {
        return new Options();
    }

    /**
     * True for commands that read their own arguments (build macros look like options): every argument
     * reaches them as positional, unparsed.
     */
    default boolean rawArguments() {
        return false;
    }

    /** Runs the command and returns the exit code. Throwing prints one line, {@code strata: ...}. */
    int run(Invocation invocation) throws Exception;
}
