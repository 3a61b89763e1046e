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
import runtime.cli.commands.CleanCommand;
import runtime.cli.commands.DataCommand;
import runtime.cli.commands.DriversCommand;
import runtime.cli.commands.ExportDirCommand;
import runtime.cli.commands.ExportTarCommand;
import runtime.cli.commands.GcCommand;
import runtime.cli.commands.IdCommand;
import runtime.cli.commands.ImagesCommand;
import runtime.cli.commands.ImportTarCommand;
import runtime.cli.commands.MapCommand;
import runtime.cli.commands.MountCommand;
import runtime.cli.commands.NodepathCommand;
import runtime.cli.commands.ParentCommand;
import runtime.cli.commands.PurgeCommand;
import runtime.cli.commands.RmCommand;
import runtime.cli.commands.RunCommand;
import runtime.cli.commands.SudoCommand;
import runtime.cli.commands.UmountCommand;
import runtime.cli.commands.VersionCommand;
import runtime.cli.commands.WithMountCommand;
import runtime.core.launch.LaunchException;
import runtime.core.store.StoreException;

/**
 * {@code strata COMMAND ...}. Failures print one line, {@code strata: ...}, and exit non-zero:
 * 2 for wrong usage, 125 when strata itself failed, else the container's own exit code.
 */
public final class Main {
    /** Every command by name; names starting with "__" are internal and not listed. */
    static final Map<String, Supplier<Command>> COMMANDS = new TreeMap<>(Map.ofEntries(
            Map.entry("run", RunCommand::new),
            Map.entry("import-tar", ImportTarCommand::new),
            Map.entry("images", ImagesCommand::new),
            Map.entry("map", MapCommand::new),
            Map.entry("id", IdCommand::new),
            Map.entry("parent", ParentCommand::new),
            Map.entry("nodepath", NodepathCommand::new),
            Map.entry("rm", RmCommand::new),
            Map.entry("gc", GcCommand::new),
            Map.entry("purge", PurgeCommand::new),
            Map.entry("clean", CleanCommand::new),
            Map.entry("export-tar", ExportTarCommand::new),
            Map.entry("export-dir", ExportDirCommand::new),
            Map.entry("with-mount", WithMountCommand::new),
            Map.entry("mount", MountCommand::new),
            Map.entry("umount", UmountCommand::new),
            Map.entry("sudo", SudoCommand::new),
            Map.entry("drivers", DriversCommand::new),
            Map.entry("data", DataCommand::new),
            Map.entry("version", VersionCommand::new),
            Map.entry("__aot-train", AotTrainCommand::new)));
    static final Map<String, String> ALIASES = Map.of("ls", "images", "shrink", "gc", "--version", "version");

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
            line = DefaultParser.builder().build().parse(command.options(), rest, true);
        } catch (ParseException e) {
            err.println("strata " + command.name() + ": " + e.getMessage());
            return 2;
        }
        // Options end at the first positional argument; an unknown option before it is a mistake, not an image.
        if (!line.getArgList().isEmpty() && line.getArgList().getFirst().startsWith("-") && !line.getArgList().getFirst().equals("-")) {
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
