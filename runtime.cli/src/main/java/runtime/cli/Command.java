package runtime.cli;

import java.util.List;

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
     * What the command does, for its man page (paragraphs separated by a blank line); the summary when
     * that says it all.
     */
    default String description() {
        return Character.toUpperCase(summary().charAt(0)) + summary().substring(1) + ".";
    }

    /** A term and its meaning: an environment variable, an exit code, an example command line. */
    record Item(String term, String text) {}

    /** The environment variables this command reads beyond those every command reads (strata(1)). */
    default List<Item> environment() {
        return List.of();
    }

    /** Every command: 0, 2 for wrong usage, 125 when strata itself failed (Main). */
    List<Item> EXIT_CODES = List.of(new Item("0", "success"), new Item("2", "wrong usage: an unknown option, a missing argument"),
            new Item("125", "strata itself failed (one line on stderr says why)"));

    /** The exit codes this command ends with. */
    default List<Item> exitCodes() {
        return EXIT_CODES;
    }

    /** Example command lines, each with what it does; shown by --help and the man page. */
    default List<Item> examples() {
        return List.of();
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
