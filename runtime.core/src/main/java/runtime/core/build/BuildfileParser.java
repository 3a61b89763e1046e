package runtime.core.build;

import java.util.ArrayList;
import java.util.List;

/**
 * Reads a buildfile: one macro per line ({@code --apt git curl}); lines that do not start with a dash
 * are further arguments of the macro above them, one whole line each (so a {@code --run} can be followed
 * by a block of shell lines); {@code #} starts a comment line; a trailing backslash continues a line;
 * a first line starting with {@code #!} is the shebang; a line {@code --\ TEXT} is the argument line TEXT
 * (plash's escape for a line that starts with a dash), {@code --\} alone an empty one. For {@link Macro#rawLine()} macros such as
 * {@code --run}, the rest of the macro's own line is one argument, unsplit.
 */
public final class BuildfileParser {
    /** A macro invocation and the (1-based) line it starts on. */
    public record Line(int number, String name, Macro macro, List<String> args) {}

    /** Starts a line that is an argument even though it starts with a dash (plash's escape). */
    static final String ESCAPE = "--\\";

    private BuildfileParser() {}

    public static List<Line> parse(String text, String origin) {
        return parse(text, origin, false);
    }

    /**
     * As {@link #parse(String, String)}; with {@code deferUnknown}, a line naming a macro strata does not know
     * has a null {@link Line#macro()}, its rest split into words: a --defpm line above it may define it.
     */
    static List<Line> parse(String text, String origin, boolean deferUnknown) {
        List<Line> result = new ArrayList<>();
        String[] raw = text.split("\n", -1);
        String name = null;
        Macro macro = null;
        List<String> args = null;
        int start = 0;
        for (int i = 0; i < raw.length; i++) {
            int number = i + 1;
            String line = raw[i];
            // plash's escape: "--\ TEXT" is the argument line TEXT (it may start with a dash), "--\" an empty one.
            if (line.strip().startsWith(ESCAPE)) {
                if (name == null) {
                    throw new IllegalArgumentException(origin + ":" + number + ": expected a macro (a line starting with -), got: " + line.strip());
                }
                String escaped = line.strip().substring(ESCAPE.length());
                args.add(escaped.startsWith(" ") ? escaped.substring(1) : escaped);
                continue;
            }
            while (line.endsWith("\\") && i + 1 < raw.length) {
                line = line.substring(0, line.length() - 1) + raw[++i];
            }
            if (number == 1 && line.startsWith("#!")) continue;
            String trimmed = line.strip();
            if (trimmed.isEmpty() || trimmed.startsWith("#")) continue;
            if (trimmed.startsWith("-")) {
                if (name != null) result.add(new Line(start, name, macro, args));
                int space = indexOfWhitespace(trimmed);
                name = space < 0 ? trimmed : trimmed.substring(0, space);
                String rest = space < 0 ? "" : trimmed.substring(space).strip();
                String macroName = name;
                macro = Macros.find(name).orElse(null);
                if (macro == null && !deferUnknown) throw unknown(origin, number, macroName);
                args = new ArrayList<>();
                start = number;
                if (!rest.isEmpty()) {
                    try {
                        args.addAll(macro != null && macro.rawLine() ? List.of(rest) : Shell.split(rest));
                    } catch (IllegalArgumentException e) {
                        throw new IllegalArgumentException(origin + ":" + number + ": " + e.getMessage(), e);
                    }
                }
            } else {
                if (name == null) {
                    throw new IllegalArgumentException(origin + ":" + number + ": expected a macro (a line starting with -), got: " + trimmed);
                }
                args.add(line);
            }
        }
        if (name != null) result.add(new Line(start, name, macro, args));
        return result;
    }

    static IllegalArgumentException unknown(String origin, int number, String name) {
        return new IllegalArgumentException(origin + ":" + number + ": unknown macro " + name + " (strata build --help-macros lists them)");
    }

    private static int indexOfWhitespace(String s) {
        for (int i = 0; i < s.length(); i++) {
            if (Character.isWhitespace(s.charAt(i))) return i;
        }
        return -1;
    }
}
