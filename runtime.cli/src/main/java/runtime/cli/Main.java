package runtime.cli;

import java.io.PrintStream;
import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Supplier;

import picocli.CommandLine;
import runtime.cli.commands.DataCommand;
import runtime.cli.commands.DriversCommand;
import runtime.cli.commands.ImagesCommand;
import runtime.cli.commands.ImportTarCommand;
import runtime.cli.commands.RunCommand;
import runtime.cli.commands.VersionCommand;
import runtime.core.launch.LaunchException;
import runtime.core.store.StoreException;

/**
 * {@code strata COMMAND ...}. Only the named command's class is built (picocli reflects over it), so
 * a command pays for nothing else at start-up. Failures print one line, {@code strata: ...}, and exit
 * non-zero.
 */
public final class Main {
    /** Every command, by name; one class each in runtime.cli.commands. */
    static final Map<String, Supplier<Object>> COMMANDS = new TreeMap<>(Map.of(
            "run", RunCommand::new,
            "import-tar", ImportTarCommand::new,
            "images", ImagesCommand::new,
            "drivers", DriversCommand::new,
            "data", DataCommand::new,
            "version", VersionCommand::new));

    private Main() {}

    public static void main(String[] args) {
        int code = run(args, System.out, System.err);
        System.out.flush();
        System.exit(code);
    }

    public static int run(String[] args, PrintStream out, PrintStream err) {
        if (args.length == 0 || args[0].equals("-h") || args[0].equals("--help") || args[0].equals("help")) {
            if (args.length > 1 && COMMANDS.containsKey(args[1])) {
                commandLine(COMMANDS.get(args[1]).get(), out, err).usage(out);
                return 0;
            }
            usage(out);
            return args.length == 0 ? 2 : 0;
        }
        if (args[0].equals("--version")) args[0] = "version";
        Supplier<Object> factory = COMMANDS.get(args[0]);
        if (factory == null) {
            err.println("strata: unknown command '" + args[0] + "' (strata help lists them)");
            return 2;
        }
        CommandLine cmd = commandLine(factory.get(), out, err);
        try {
            return cmd.execute(Arrays.copyOfRange(args, 1, args.length));
        } catch (OutOfMemoryError e) {
            err.println("strata: out of memory");
            return 125;
        }
    }

    static CommandLine commandLine(Object command, PrintStream out, PrintStream err) {
        CommandLine cmd = new CommandLine(command);
        // Options come before the image; everything after it belongs to the container's command.
        cmd.setStopAtPositional(true);
        cmd.setOut(new java.io.PrintWriter(out, true));
        cmd.setErr(new java.io.PrintWriter(err, true));
        cmd.setParameterExceptionHandler((ex, a) -> {
            err.println("strata " + ex.getCommandLine().getCommandName() + ": " + ex.getMessage());
            return 2;
        });
        cmd.setExecutionExceptionHandler((ex, c, parsed) -> {
            err.println("strata: " + message(ex));
            if (System.getenv("STRATA_TRACE") != null) ex.printStackTrace(err);
            return ex instanceof LaunchException le ? le.exitCode() : 125;
        });
        return cmd;
    }

    /** One line for any failure: ours carry a message meant for people; others get their type named. */
    static String message(Throwable t) {
        if (t instanceof StoreException || t instanceof LaunchException || t instanceof IllegalArgumentException
                || t instanceof IllegalStateException) {
            return t.getMessage();
        }
        if (t instanceof java.nio.file.NoSuchFileException e) return e.getMessage() + ": no such file or directory";
        if (t instanceof java.nio.file.AccessDeniedException e) return e.getMessage() + ": permission denied";
        String m = t.getMessage();
        return (m == null ? t.getClass().getSimpleName() : m).lines().findFirst().orElse("");
    }

    private static void usage(PrintStream out) {
        out.println("usage: strata COMMAND [ARGS...]");
        out.println();
        out.println("Layered root filesystems and a rootless container runtime.");
        out.println();
        out.println("commands:");
        for (var e : COMMANDS.entrySet()) {
            CommandLine.Command c = e.getValue().get().getClass().getAnnotation(CommandLine.Command.class);
            String text = c == null || c.description().length == 0 ? "" : c.description()[0];
            out.printf("  %-12s %s%n", e.getKey(), text);
        }
        out.println();
        out.println("strata help COMMAND shows a command's options.");
    }
}
