package runtime.core.build;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;

/**
 * The result of evaluating build macros: a list of {@link Segment}s, each either a base image
 * ({@code --from}) or a step to build on top of what came before. Evaluation only reads files (for
 * --eval-file and --hash-path); nothing is built until a {@link Builder} runs the segments.
 *
 * <p>Command-line form: a macro name starts a macro, the tokens up to the next macro name are its
 * arguments. Buildfile form ({@link BuildfileParser}): one macro per line.
 */
public final class BuildScript {
    /** A part of the build, in order. */
    public sealed interface Segment {}

    /**
     * Continue from this image (a reference resolved when the build runs). With {@code ifMissing}, a
     * name the store does not have is pulled from that {@code SOURCE:REF} once and then given the name,
     * so later builds find it offline (plash's -A, -D, -U ...).
     */
    public record From(String reference, java.util.Optional<String> ifMissing) implements Segment {
        public From(String reference) {
            this(reference, java.util.Optional.empty());
        }
    }

    /** Build this step on top of the image so far. */
    public record Build(Step step) implements Segment {}

    private static final int MAX_DEPTH = 32;

    private final List<Segment> segments = new ArrayList<>();
    private final Map<String, String> hostEnvironment;
    private final Deque<Path> directories = new ArrayDeque<>();
    private final Deque<Path> files = new ArrayDeque<>();
    private final InputStream stdin;
    private boolean stdinRead;
    private Step pending = new Step();

    private BuildScript(Path workingDirectory, Map<String, String> hostEnvironment, InputStream stdin) {
        this.hostEnvironment = hostEnvironment;
        this.stdin = stdin;
        directories.push(workingDirectory.toAbsolutePath());
    }

    /** Evaluates macros given on a command line; --eval-stdin and --run-stdin find no input. */
    public static BuildScript fromArguments(List<String> args, Path workingDirectory, Map<String, String> env) throws IOException {
        return fromArguments(args, workingDirectory, env, InputStream.nullInputStream());
    }

    /** Evaluates macros given on a command line; --eval-stdin and --run-stdin read {@code stdin}. */
    public static BuildScript fromArguments(List<String> args, Path workingDirectory, Map<String, String> env, InputStream stdin)
            throws IOException {
        BuildScript script = new BuildScript(workingDirectory, env, stdin);
        script.evaluateArguments(args);
        script.endStep();
        return script;
    }

    /** The caller's standard input as text; it can be read once per build (as in plash). */
    String readStdin(String macro) throws IOException {
        if (stdinRead) throw new IllegalArgumentException(macro + ": standard input was already read by an earlier macro");
        stdinRead = true;
        return new String(stdin.readAllBytes(), StandardCharsets.UTF_8);
    }

    /**
     * The build as a shell script, as {@code strata eval} prints it (plash's eval): each step's shell lines
     * as they run, and everything else (a --from, a layer boundary, configuration, cache keys) as a quoted
     * {@code :} line, which a shell evaluates to nothing.
     */
    public String toShell() {
        StringBuilder sb = new StringBuilder();
        boolean stepBefore = false;
        for (Segment segment : segments) {
            if (segment instanceof From f) {
                sb.append(": ").append(Shell.quote(List.of("--from", f.reference()))).append('\n');
                stepBefore = false;
            } else if (segment instanceof Build b) {
                if (stepBefore) sb.append(": --layer\n");
                for (String line : b.step().script()) sb.append(line).append('\n');
                for (ConfigChange c : b.step().changes()) sb.append(": ").append(Shell.quote(List.of(c.canonical()))).append('\n');
                for (String key : b.step().keys()) sb.append(": ").append(Shell.quote(List.of(key))).append('\n');
                stepBefore = true;
            }
        }
        return sb.toString();
    }

    public List<Segment> segments() {
        return List.copyOf(segments);
    }

    Map<String, String> hostEnvironment() {
        return hostEnvironment;
    }

    Step step() {
        return pending;
    }

    void endStep() {
        if (!pending.isEmpty()) segments.add(new Build(pending));
        pending = new Step();
    }

    void from(String reference) {
        from(new From(reference));
    }

    void from(From from) {
        endStep();
        segments.add(from);
    }

    /** Macros defined by --defpm in this build, by name; they take precedence over none (names must be new). */
    private final Map<String, Macro> defined = new java.util.HashMap<>();

    void define(Macro macro) {
        for (String n : macro.names()) {
            if (Macros.find(n).isPresent() || defined.containsKey(n)) throw new IllegalArgumentException("--defpm: " + n + " is already a macro");
            defined.put(n, macro);
        }
    }

    java.util.Optional<Macro> macro(String name) {
        Macro m = defined.get(name);
        return m != null ? java.util.Optional.of(m) : Macros.find(name);
    }

    /** A path given to a macro: relative to the buildfile being evaluated, else to the working directory. */
    Path resolve(String path) {
        return directories.peek().resolve(path).normalize();
    }

    private void evaluateArguments(List<String> args) throws IOException {
        int i = 0;
        while (i < args.size()) {
            String name = args.get(i);
            Macro macro = macro(name).orElseThrow(() -> new IllegalArgumentException(
                    name.startsWith("-") ? "unknown macro " + name + " (strata build --help-macros lists them)"
                            : "expected a macro, got '" + name + "'"));
            int j = i + 1;
            while (j < args.size() && !isMacroToken(args.get(j))) {
                String token = args.get(j);
                // The macro --defpm defines is not known until it ran: a --word ends --defpm's lines.
                if (token.startsWith("--") && macro.name().equals("--defpm")) break;
                // A misspelt macro would otherwise become an argument: only free-form macros take "--words".
                if (token.startsWith("--") && token.length() > 2 && !macro.freeForm()) {
                    throw new IllegalArgumentException("unknown macro " + token + " (strata build --help-macros lists them)");
                }
                j++;
            }
            invokeTaking(macro, name, args.subList(i + 1, j));
            i = j;
        }
    }

    /**
     * A known macro name starts a new macro; any other token, even one starting with a dash
     * ({@code --entrypoint python3 -m http.server}), is an argument. Quote a shell line that contains a
     * macro name as a word: {@code --run 'ls -l'}.
     */
    private boolean isMacroToken(String token) {
        return token.startsWith("-") && macro(token).isPresent();
    }

    /** As in plash, words beyond the most a macro takes are shell lines of the step ({@code --from base 'make'}). */
    private void invokeTaking(Macro macro, String as, List<String> args) throws IOException {
        int taken = (int) Math.min(args.size(), (long) macro.maxArgs());
        invoke(macro, as, args.subList(0, taken));
        for (String line : args.subList(taken, args.size())) pending.addScript(line);
    }

    void invoke(Macro macro, String as, List<String> args) throws IOException {
        if (args.size() < macro.minArgs() || args.size() > macro.maxArgs()) {
            String want = macro.minArgs() == macro.maxArgs() ? (macro.minArgs() == 0 ? "no" : Integer.toString(macro.minArgs()))
                    : "at least " + macro.minArgs();
            throw new IllegalArgumentException(as + " takes " + want + " argument" + (macro.minArgs() == 1 ? "" : "s")
                    + (macro.usage().isEmpty() ? "" : " (" + macro.usage() + ")") + ", got " + args.size());
        }
        macro.action().apply(this, List.copyOf(args));
    }

    void evaluateFile(Path file) throws IOException {
        if (files.contains(file)) throw new IllegalArgumentException("buildfile " + file + " includes itself");
        String text;
        try {
            text = Files.readString(file);
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException("buildfile " + file + " does not exist");
        }
        files.push(file);
        directories.push(file.toAbsolutePath().getParent());
        try {
            evaluateText(text, file.toString());
        } finally {
            directories.pop();
            files.pop();
        }
    }

    void evaluateText(String text, String origin) throws IOException {
        if (files.size() + directories.size() > MAX_DEPTH) throw new IllegalArgumentException("buildfiles nest too deep at " + origin);
        for (BuildfileParser.Line line : BuildfileParser.parse(text, origin, true)) {
            // A name strata does not know may be one a --defpm line above defined.
            Macro m = line.macro() != null ? line.macro() : macro(line.name()).orElseThrow(() -> BuildfileParser.unknown(origin, line.number(), line.name()));
            try {
                invokeTaking(m, line.name(), line.args());
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(origin + ":" + line.number() + ": " + e.getMessage(), e);
            }
        }
    }
}
