package runtime.core.build;

import java.io.IOException;
import java.util.List;

/**
 * A build macro: {@code --name} (plus short aliases like {@code -x}) with its arguments.
 *
 * @param names     long name first, then aliases, with their dashes
 * @param minArgs   fewest arguments accepted
 * @param maxArgs   most arguments accepted ({@link Integer#MAX_VALUE} for any)
 * @param usage     the arguments as shown by --help-macros, e.g. {@code PACKAGE...}
 * @param help      one line for --help-macros
 * @param rawLine   in a buildfile, the rest of the macro's line is one argument (a shell command)
 *                  instead of being split into words
 * @param freeForm  its arguments are commands or text, so on a command line they may look like options
 *                  ({@code --entrypoint ls --color}); for other macros an unknown {@code --word} is an error
 */
public record Macro(List<String> names, int minArgs, int maxArgs, String usage, String help, boolean rawLine,
                    boolean freeForm, Action action) {
    /** What a macro does to the build being evaluated. */
    @FunctionalInterface
    public interface Action {
        void apply(BuildScript script, List<String> args) throws IOException;
    }

    public Macro {
        names = List.copyOf(names);
    }

    public String name() {
        return names.getFirst();
    }
}
