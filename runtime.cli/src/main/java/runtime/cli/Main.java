package runtime.cli;

import java.io.PrintStream;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
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
        COMMANDS.put("ps", runtime.cli.commands.PsCommand::new);
        COMMANDS.put("port", runtime.cli.commands.PortCommand::new);
        COMMANDS.put("validate", runtime.cli.commands.ValidateCommand::new);
        COMMANDS.put("network", runtime.cli.commands.NetworkCommand::new);
        COMMANDS.put("serve", runtime.cli.commands.ServeCommand::new);
        COMMANDS.put("start", runtime.cli.commands.StartCommand::new);
        COMMANDS.put("stop", runtime.cli.commands.ContainerCommand::stop);
        COMMANDS.put("kill", runtime.cli.commands.ContainerCommand::kill);
        COMMANDS.put("logs", runtime.cli.commands.ContainerCommand::logs);
        COMMANDS.put("wait", runtime.cli.commands.ContainerCommand::await);
        COMMANDS.put("inspect", runtime.cli.commands.ContainerCommand::inspect);
        COMMANDS.put("delete", runtime.cli.commands.ContainerCommand::delete);
        COMMANDS.put("sources", runtime.cli.commands.SourcesCommand::new);
        COMMANDS.put("pull", runtime.cli.commands.PullCommand::new);
        COMMANDS.put("push", runtime.cli.commands.PushCommand::new);
        COMMANDS.put("export-oci", runtime.cli.commands.ExportOciCommand::new);
        COMMANDS.put("export-docker", runtime.cli.commands.ExportDockerCommand::new);
        COMMANDS.put("check-driver", runtime.cli.commands.CheckDriverCommand::new);
        COMMANDS.put("__aot-train", AotTrainCommand::new);
        COMMANDS.put("__aot-sample", runtime.cli.commands.AotSampleCommand::new);
        COMMANDS.put("__aot-train-run", runtime.cli.commands.AotTrainRunCommand::new);
        COMMANDS.put("__gen-docs", GenDocsCommand::new);
        COMMANDS.put("__complete", CompleteCommand::new);
        COMMANDS.put("__server", runtime.cli.commands.ServerCommand::new);
        COMMANDS.put("map", MapCommand::new);
        COMMANDS.put("id", IdCommand::new);
        COMMANDS.put("parent", ParentCommand::new);
        COMMANDS.put("nodepath", NodepathCommand::new);
        COMMANDS.put("rm", RmCommand::new);
        COMMANDS.put("rmi", runtime.cli.commands.RmiCommand::new);
        COMMANDS.put("tag", runtime.cli.commands.TagCommand::new);
        COMMANDS.put("history", runtime.cli.commands.HistoryCommand::new);
        COMMANDS.put("login", runtime.cli.commands.LoginCommand::login);
        COMMANDS.put("logout", runtime.cli.commands.LoginCommand::logout);
        COMMANDS.put("gc", GcCommand::new);
        COMMANDS.put("shrink", GcCommand::shrink);
        COMMANDS.put("purge", PurgeCommand::new);
        COMMANDS.put("clean", CleanCommand::new);
        COMMANDS.put("fsck", runtime.cli.commands.FsckCommand::new);
        COMMANDS.put("check-image", runtime.cli.commands.CheckImageCommand::new);
        COMMANDS.put("export-tar", ExportTarCommand::new);
        COMMANDS.put("export-dir", ExportDirCommand::new);
        COMMANDS.put("with-mount", WithMountCommand::new);
        COMMANDS.put("mount", MountCommand::new);
        COMMANDS.put("umount", UmountCommand::new);
        COMMANDS.put("sudo", SudoCommand::new);
        COMMANDS.put("shell", ShellCommand::new);
        COMMANDS.put("oci", runtime.cli.commands.oci.OciCommand::new);
        COMMANDS.put("eval", runtime.cli.commands.EvalCommand::new);
        COMMANDS.put("help-macros", runtime.cli.commands.HelpMacrosCommand::new);
        COMMANDS.put("init", runtime.cli.commands.InitCommand::new);
        COMMANDS.put("mkdtemp", runtime.cli.commands.MkdtempCommand::new);
        COMMANDS.put("add-layer", runtime.cli.commands.AddLayerCommand::new);
        COMMANDS.put("import-docker", runtime.cli.commands.ImportDockerCommand::new);
        COMMANDS.put("check", runtime.cli.commands.CheckCommand::new);
        COMMANDS.put("runb", runtime.cli.commands.RunbCommand::new);
        COMMANDS.put("this", runtime.cli.commands.RememberCommand::thisImage);
        COMMANDS.put("recall", runtime.cli.commands.RememberCommand::recall);
        COMMANDS.put("do", runtime.cli.commands.RememberCommand::doCommand);
        COMMANDS.put("cache", runtime.cli.commands.RememberCommand::cache);
    }

    /** Other names of commands: podman's ls, plash's copy (export-dir) and stack (add-layer). */
    static final Map<String, String> ALIASES = Map.of("ls", "images", "--version", "version", "copy", "export-dir", "stack", "add-layer");

    /** Commands that start a container, so surely call native code: they link it ahead (Posix.linkAhead). */
    private static final java.util.Set<String> STARTS_CONTAINERS = java.util.Set.of("run", "b", "exec", "create", "start", "with-mount", "sudo");

    private Main() {}

    /**
     * {@code -eA=1} as {@code -e A=1} (podman's and docker's habit): commons-cli reads a short option's
     * attached value, but not one holding '='. Only before the first positional argument (the command's own
     * arguments are never touched).
     */
    static String[] attachedValues(org.apache.commons.cli.Options options, String[] args) {
        List<String> result = new ArrayList<>();
        int i = 0;
        while (i < args.length) {
            String a = args[i++];
            if (a.equals("--") || !a.startsWith("-") || a.equals("-")) {
                result.add(a);
                break; // the first positional argument: the rest is the command's
            }
            String name = a.startsWith("--") ? a.substring(2).split("=", 2)[0] : a.substring(1, 2);
            org.apache.commons.cli.Option o = a.startsWith("--") ? options.getOption(name)
                    : options.hasShortOption(name) ? options.getOption(name) : null;
            boolean takesValue = o != null && o.hasArg();
            if (takesValue && !a.startsWith("--") && a.length() > 2 && a.indexOf('=') > 2) {
                result.add(a.substring(0, 2));
                result.add(a.substring(2));
                continue;
            }
            result.add(a);
            boolean valueFollows = takesValue && (a.startsWith("--") ? !a.contains("=") : a.length() == 2);
            if (valueFollows && i < args.length) result.add(args[i++]);
        }
        while (i < args.length) result.add(args[i++]);
        return result.toArray(String[]::new);
    }

    public static void main(String[] args) throws Exception {
        int restarted = NativeAccess.restartWithAccess();
        if (restarted >= 0) System.exit(restarted);
        if (args.length > 0 && STARTS_CONTAINERS.contains(args[0])) runtime.api.sys.Posix.linkAhead();
        Context context = Context.ofThisProcess(args);
        int code = run(context);
        System.out.flush();
        // Success with nothing else running: returning ends the JVM the same way (shutdown hooks run, status 0)
        // without System.exit, whose exit logging looks for a System.Logger backend by opening every jar on the
        // module path (a tenth of a cold strata run).
        if (code == 0 && onlyThreadKeepingJvmAlive()) return;
        System.exit(code);
    }

    private static boolean onlyThreadKeepingJvmAlive() {
        Thread self = Thread.currentThread();
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t != self && !t.isDaemon() && t.isAlive()) return false;
        }
        return true;
    }

    /**
     * Runs one invocation for the caller {@code ctx} describes and returns its exit code. Everything about
     * the caller comes from {@code ctx}: this never calls System.exit and never closes the caller's
     * descriptors, so one JVM can run many at once.
     */
    public static int run(Context ctx) {
        String[] args = ctx.args().toArray(new String[0]); // no lambda to spin on a cold start
        PrintStream out = ctx.stdio().out();
        PrintStream err = ctx.stdio().err();
        Map<String, String> env = ctx.env();
        // No command on a terminal: the interactive shell. Without one (a pipe, a script), usage and 2 as before.
        if (args.length == 0 && ctx.stdio().inTty() && ctx.stdio().outTty()) args = new String[] {"shell"};
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
        // plash's shebang form: #!/usr/bin/env strata runs `strata ./file ARGS`, which is strata exec (a path has a slash).
        if (args[0].contains("/")) {
            String[] e = new String[args.length + 1];
            e[0] = "exec";
            System.arraycopy(args, 0, e, 1, args.length);
            args = e;
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
                    command.rawArguments() ? withSeparator(rest) : attachedValues(command.options(), rest), true);
        } catch (ParseException e) {
            err.println("strata " + command.name() + ": " + parseError(e));
            return 2;
        }
        // Options end at the first positional argument; an unknown option before it is a mistake, not an image.
        if (!command.rawArguments() && !line.getArgList().isEmpty() && line.getArgList().getFirst().startsWith("-")
                && !line.getArgList().getFirst().equals("-")) {
            err.println("strata " + command.name() + ": unknown option " + line.getArgList().getFirst());
            return 2;
        }
        Invocation invocation = new Invocation(line, ctx);
        try {
            if (!command.name().startsWith("__")) Settings.check(env);
            return command.run(invocation);
        } catch (Invocation.BadValueException e) {
            err.println("strata " + command.name() + ": " + bounded(e.getMessage()));
            return 2;
        } catch (Invocation.UsageException e) {
            err.println("strata " + command.name() + ": " + e.getMessage() + " (usage: strata " + (command.name() + " "
                    + command.arguments()).strip() + ")");
            return 2;
        } catch (LaunchException e) {
            err.println("strata: " + bounded(e.getMessage()));
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

    /** commons-cli's complaint in strata's words ("Missing argument for option: e" names the option as no user typed it). */
    static String parseError(ParseException e) {
        if (e instanceof org.apache.commons.cli.MissingArgumentException m) {
            org.apache.commons.cli.Option o = m.getOption();
            String name = o.getOpt() != null ? "-" + o.getOpt() + (o.getLongOpt() != null ? " (--" + o.getLongOpt() + ")" : "") : "--" + o.getLongOpt();
            return name + " needs a value: " + o.getArgName();
        }
        if (e instanceof org.apache.commons.cli.UnrecognizedOptionException u) return "unknown option " + u.getOption() + " (--help lists them)";
        if (e instanceof org.apache.commons.cli.AmbiguousOptionException a) {
            return "option " + a.getOption() + " could be " + String.join(", ", a.getMatchingOptions()) + ": give more of its name";
        }
        return withoutClassNames(String.valueOf(e.getMessage()));
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

    /** The most characters of an error line printed: a name in hostile input may be megabytes long. */
    static final int MAX_ERROR_LINE = 400;

    /**
     * An error message as one line a terminal shows safely: control characters (a newline or escape
     * sequence in a name from an archive) become '?', and a long one is cut, saying how much was left out.
     */
    static String bounded(String message) {
        String m = String.valueOf(message);
        String cut = m.length() <= MAX_ERROR_LINE ? m : m.substring(0, MAX_ERROR_LINE);
        cut = cut.replaceAll("\\p{Cntrl}", "?");
        return m.length() <= MAX_ERROR_LINE ? cut : cut + "... (" + (m.length() - MAX_ERROR_LINE) + " more characters)";
    }

    /**
     * One bounded line for any failure: ours carry a message meant for people; a JDK or library exception's
     * message is kept without its class name (a user cannot act on one: STRATA_TRACE=1 prints the trace).
     */
    public static String message(Throwable t) {
        return bounded(withoutClassNames(describe(t)));
    }

    /** {@code java.io.IOException: } and the like, as a wrapping exception's message repeats its cause's. */
    private static final java.util.regex.Pattern CLASS_PREFIX =
            java.util.regex.Pattern.compile("\\b(?:[a-z_][a-z0-9_]*\\.)+[A-Z]\\w*(?:Exception|Error)\\b:? ?");

    private static final String INTERNAL = "an internal error of strata's (STRATA_TRACE=1 prints where; please report it)";

    static String withoutClassNames(String message) {
        String m = CLASS_PREFIX.matcher(message).replaceAll("").strip();
        return m.isEmpty() ? INTERNAL : m;
    }

    private static String describe(Throwable t) {
        if (t instanceof StoreException || t instanceof IllegalArgumentException || t instanceof IllegalStateException) {
            return t.getMessage();
        }
        if (t instanceof java.nio.file.NoSuchFileException e) return e.getMessage() + ": no such file or directory";
        if (t instanceof java.nio.file.AccessDeniedException e) return e.getMessage() + ": permission denied";
        if (t instanceof java.nio.file.FileSystemException e && e.getReason() != null) return e.getFile() + ": " + e.getReason();
        if (t instanceof OutOfMemoryError) return "out of memory";
        if (t instanceof java.io.UncheckedIOException && t.getCause() != null) return describe(t.getCause());
        // A bug of strata's: its message speaks of code, not of anything the user gave.
        boolean bug = t instanceof NullPointerException || t instanceof ClassCastException || t instanceof IndexOutOfBoundsException
                || t instanceof ArithmeticException || t instanceof UnsupportedOperationException;
        String m = t.getMessage();
        if (!bug && (m == null || m.isBlank()) && t.getCause() != null && t.getCause() != t) return describe(t.getCause());
        if (bug || m == null || m.isBlank()) return INTERNAL;
        return m.lines().findFirst().orElse("");
    }

    static void help(Command c, PrintStream out) {
        PrintWriter w = new PrintWriter(out);
        HelpFormatter f = HelpFormatter.builder().get();
        StringBuilder examples = new StringBuilder();
        for (Command.Item e : c.examples()) examples.append(examples.isEmpty() ? "examples:\n" : "\n").append("  ").append(e.term()).append("\n      ").append(e.text());
        f.printHelp(w, 100, "strata " + c.name() + " [OPTIONS] " + c.arguments(), c.summary(), c.options(), 2, 2,
                examples.isEmpty() ? null : examples + "\n\nman strata-" + c.name() + " says more.");
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
