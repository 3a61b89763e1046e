package runtime.cli;

import java.io.PrintStream;
import java.io.PrintWriter;
import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Supplier;

import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.DefaultParser;
import org.apache.commons.cli.HelpFormatter;
import org.apache.commons.cli.ParseException;

import runtime.cli.commands.AotTrainCommand;
import runtime.cli.commands.DataCommand;
import runtime.cli.commands.DriversCommand;
import runtime.cli.commands.ImagesCommand;
import runtime.cli.commands.ImportTarCommand;
import runtime.cli.commands.RunCommand;
import runtime.cli.commands.VersionCommand;
import runtime.core.launch.LaunchException;
import runtime.core.store.StoreException;

/**
 * {@code strata COMMAND ...}. Failures print one line, {@code strata: ...}, and exit non-zero:
 * 2 for wrong usage, 125 when strata itself failed, else the container's own exit code.
 */
public final class Main {
    /** Every command by name; names starting with "__" are internal and not listed. */
    static final Map<String, Supplier<Command>> COMMANDS = new TreeMap<>();

    static {
        COMMANDS.put("run", RunCommand::new);
        COMMANDS.put("import-tar", ImportTarCommand::new);
        COMMANDS.put("images", ImagesCommand::new);
        COMMANDS.put("drivers", DriversCommand::new);
        COMMANDS.put("data", DataCommand::new);
        COMMANDS.put("version", VersionCommand::new);
        COMMANDS.put("build", runtime.cli.commands.BuildCommand::new);
        COMMANDS.put("b", runtime.cli.commands.BuildThenCommand::new);
        COMMANDS.put("exec", runtime.cli.commands.ExecCommand::new);
        COMMANDS.put("create", runtime.cli.commands.CreateCommand::new);
        COMMANDS.put("check-driver", runtime.cli.commands.CheckDriverCommand::new);
        COMMANDS.put("__aot-train", AotTrainCommand::new);
    }

    static final Map<String, String> ALIASES = Map.of("ls", "images", "--version", "version");

    private Main() {}

    public static void main(String[] args) {
        int code = run(args, System.out, System.err, System.getenv());
        System.out.flush();
        System.exit(code);
    }

    public static int run(String[] args, PrintStream out, PrintStream err, Map<String, String> env) {
        if (args.length == 0 || args[0].equals("-h") || args[0].equals("--help") || args[0].equals("help")) {
            if (args.length > 1) {
                Command c = find(args[1]);
                if (c == null) {
                    err.println("strata: unknown command '" + args[1] + "' (strata help lists them)");
                    return 2;
                }
                help(c, out);
                return 0;
            }
            usage(out);
            return args.length == 0 ? 2 : 0;
        }
        // plash's form: strata --from alpine --apk xeyes -- xeyes (build, then run).
        if (args[0].startsWith("-") && runtime.core.build.Macros.find(args[0]).isPresent()) {
            String[] b = new String[args.length + 2];
            b[0] = "b";
            b[1] = "run";
            System.arraycopy(args, 0, b, 2, args.length);
            args = b;
        }
        Command command = find(args[0]);
        if (command == null) {
            err.println("strata: unknown command '" + args[0] + "' (strata help lists them)");
            return 2;
        }
        String[] rest = Arrays.copyOfRange(args, 1, args.length);
        if (rest.length > 0 && (rest[0].equals("-h") || rest[0].equals("--help"))) {
            help(command, out);
            return 0;
        }
        CommandLine line;
        try {
            line = DefaultParser.builder().build().parse(command.rawArguments() ? new org.apache.commons.cli.Options() : command.options(),
                    command.rawArguments() ? withSeparator(rest) : rest, true);
        } catch (ParseException e) {
            err.println("strata " + command.name() + ": " + e.getMessage());
            return 2;
        }
        // Options end at the first positional argument; an unknown option before it is a mistake, not an image.
        if (!command.rawArguments() && !line.getArgList().isEmpty() && line.getArgList().getFirst().startsWith("-")
                && !line.getArgList().getFirst().equals("-")) {
            err.println("strata " + command.name() + ": unknown option " + line.getArgList().getFirst());
            return 2;
        }
        Invocation invocation = new Invocation(line, out, err, env);
        try {
            return command.run(invocation);
        } catch (Invocation.UsageException e) {
            err.println("strata " + command.name() + ": " + e.getMessage() + " (usage: strata " + command.name() + " "
                    + command.arguments() + ")");
            return 2;
        } catch (LaunchException e) {
            err.println("strata: " + e.getMessage());
            trace(e, err, env);
            return e.exitCode();
        } catch (Exception | OutOfMemoryError e) {
            err.println("strata: " + message(e));
            trace(e, err, env);
            return 125;
        } finally {
            invocation.close();
        }
    }

    /** "--" first makes commons-cli hand every argument over untouched (the "--" itself is dropped). */
    private static String[] withSeparator(String[] rest) {
        String[] all = new String[rest.length + 1];
        all[0] = "--";
        System.arraycopy(rest, 0, all, 1, rest.length);
        return all;
    }

    private static Command find(String name) {
        Supplier<Command> s = COMMANDS.get(ALIASES.getOrDefault(name, name));
        return s == null ? null : s.get();
    }

    private static void trace(Throwable e, PrintStream err, Map<String, String> env) {
        if (env.get("STRATA_TRACE") != null) e.printStackTrace(err);
    }

    /** One line for any failure: ours carry a message meant for people; others get their type named. */
    static String message(Throwable t) {
        if (t instanceof StoreException || t instanceof IllegalArgumentException || t instanceof IllegalStateException) {
            return t.getMessage();
        }
        if (t instanceof java.nio.file.NoSuchFileException e) return e.getMessage() + ": no such file or directory";
        if (t instanceof java.nio.file.AccessDeniedException e) return e.getMessage() + ": permission denied";
        if (t instanceof java.nio.file.FileSystemException e && e.getReason() != null) return e.getFile() + ": " + e.getReason();
        if (t instanceof OutOfMemoryError) return "out of memory";
        String m = t.getMessage();
        return (m == null ? t.getClass().getSimpleName() : t.getClass().getSimpleName() + ": " + m).lines().findFirst().orElse("");
    }

    static void help(Command c, PrintStream out) {
        PrintWriter w = new PrintWriter(out);
        HelpFormatter f = HelpFormatter.builder().get();
        f.printHelp(w, 100, "strata " + c.name() + " [OPTIONS] " + c.arguments(), c.summary(), c.options(), 2, 2, null);
        w.flush();
    }

    private static void usage(PrintStream out) {
        out.println("usage: strata COMMAND [ARGS...]");
        out.println();
        out.println("Layered root filesystems and a rootless container runtime.");
        out.println();
        out.println("commands:");
        for (var e : COMMANDS.entrySet()) {
            if (e.getKey().startsWith("__")) continue;
            out.printf("  %-12s %s%n", e.getKey(), e.getValue().get().summary());
        }
        out.println();
        out.println("strata help COMMAND shows a command's options.");
    }
}
