package runtime.cli;

import java.io.PrintStream;
import java.util.List;
import java.util.Map;

import org.apache.commons.cli.CommandLine;

import runtime.core.Engine;

/** A parsed command line, the streams to talk on, and the engine for the caller. */
public final class Invocation {
    private final CommandLine line;
    private final PrintStream out;
    private final PrintStream err;
    private final Map<String, String> env;
    private Engine engine;

    public Invocation(CommandLine line, PrintStream out, PrintStream err, Map<String, String> env) {
        this.line = line;
        this.out = out;
        this.err = err;
        this.env = env;
    }

    public CommandLine line() {
        return line;
    }

    /** Positional arguments. */
    public List<String> arguments() {
        return line.getArgList();
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

    public List<String> values(String option) {
        String[] v = line.getOptionValues(option);
        return v == null ? List.of() : List.of(v);
    }

    public PrintStream out() {
        return out;
    }

    public PrintStream err() {
        return err;
    }

    public Map<String, String> env() {
        return env;
    }

    /** True with --debug or STRATA_DEBUG set (to anything but 0). */
    public boolean debug() {
        String v = env.get("STRATA_DEBUG");
        return (line.hasOption("debug")) || (v != null && !v.isEmpty() && !v.equals("0"));
    }

    public synchronized Engine engine() {
        if (engine == null) engine = new Engine(env);
        return engine;
    }

    synchronized void close() {
        if (engine != null) engine.close();
    }

    /** Wrong arguments: printed as {@code strata CMD: message} with exit code 2. */
    public static final class UsageException extends RuntimeException {
        public UsageException(String message) {
            super(message);
        }
    }
}
