package runtime.cli;

import java.io.PrintStream;
import java.util.List;
import java.util.Map;

import org.apache.commons.cli.CommandLine;

import runtime.core.Engine;

/** A parsed command line, the caller it runs for ({@link Context}), and the engine for that caller. */
public final class Invocation {
    private final CommandLine line;
    private final Context context;
    private Engine engine;

    public Invocation(CommandLine line, Context context) {
        this.line = line;
        this.context = context;
    }

    /** The caller: environment, working directory, umask, standard descriptors. */
    public Context context() {
        return context;
    }

    public CommandLine line() {
        return line;
    }

    /** Positional arguments. */
    public List<String> arguments() {
        return line.getArgList();
    }

    /** A usage error (exit 2) naming the first argument past the {@code max} the command takes. */
    public void atMost(int max) {
        List<String> args = arguments();
        if (args.size() > max) {
            throw new UsageException("unexpected argument '" + args.get(max) + "'"
                    + (max == 0 ? ": this command takes none" : ": this command takes " + max));
        }
    }

    /** The positional argument at {@code index}; a usage error when missing. */
    public String argument(int index, String name) {
        List<String> args = arguments();
        if (index >= args.size()) throw new UsageException("missing " + name);
        return args.get(index);
    }

    public boolean has(String option) {
        return line.hasOption(option);
    }

    public String value(String option, String fallback) {
        String v = line.getOptionValue(option);
        return v == null ? fallback : v;
    }

    /**
     * The value of {@code option} read by {@code parser}, empty when not given. A value the parser refuses
     * (IllegalArgumentException) is a {@link BadValueException}: exit 2, one line naming the option.
     */
    public <T> java.util.Optional<T> parsed(String option, java.util.function.Function<String, T> parser) {
        String v = line.getOptionValue(option);
        if (v == null) return java.util.Optional.empty();
        return java.util.Optional.of(BadValueException.checking("--" + option, v, parser));
    }

    public List<String> values(String option) {
        String[] v = line.getOptionValues(option);
        return v == null ? List.of() : List.of(v);
    }

    public PrintStream out() {
        return context.stdio().out();
    }

    public PrintStream err() {
        return context.stdio().err();
    }

    public Map<String, String> env() {
        return context.env();
    }

    public Context.Stdio stdio() {
        return context.stdio();
    }

    /** The caller's working directory. */
    public java.nio.file.Path cwd() {
        return context.cwd();
    }

    /** A path the user gave, resolved against the caller's working directory. */
    public java.nio.file.Path path(String given) {
        return context.path(given);
    }

    /** True with --debug or STRATA_DEBUG set (to anything but 0). */
    public boolean debug() {
        String v = env().get("STRATA_DEBUG");
        return (line.hasOption("debug")) || (v != null && !v.isEmpty() && !v.equals("0"));
    }

    /** The caller as runtime.core takes it. */
    public runtime.core.Caller caller() {
        Context.Stdio io = context.stdio();
        // A command's -q/--quiet silences progress displays too (pull -q on a terminal).
        return new runtime.core.Caller(context.env(), context.cwd(), context.umask(), io.inFd(), io.outFd(), io.errFd(), io.inTty(),
                io.err(), io.errTty() && !line.hasOption("quiet"));
    }

    public synchronized Engine engine() {
        if (engine == null) engine = new Engine(caller());
        return engine;
    }

    synchronized void close() {
        if (engine != null) engine.close();
    }

    /**
     * A bad option or environment value, found before anything is done: printed as {@code strata CMD: message}
     * with exit code 2 (no usage line: the message names the value and what is wanted).
     */
    public static final class BadValueException extends RuntimeException {
        public BadValueException(String message) {
            super(message);
        }

        /**
         * {@code parser} applied to {@code value} of {@code what} (an option or variable); its refusal becomes
         * this exception, its message prefixed with {@code what} unless it names it already.
         */
        public static <T> T checking(String what, String value, java.util.function.Function<String, T> parser) {
            try {
                return parser.apply(value);
            } catch (IllegalArgumentException e) {
                String m = String.valueOf(e.getMessage());
                throw new BadValueException(m.contains(what) ? m : what + ": " + m);
            }
        }
    }

    /** Wrong arguments: printed as {@code strata CMD: message} with exit code 2. */
    public static final class UsageException extends RuntimeException {
        public UsageException(String message) {
            super(message);
        }
    }
}
