package runtime.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;

import org.jline.reader.EndOfFileException;
import org.jline.reader.LineReader;
import org.jline.reader.LineReaderBuilder;
import org.jline.reader.UserInterruptException;
import org.jline.terminal.Terminal;
import org.jline.terminal.TerminalBuilder;
import org.jline.utils.InfoCmp;

import runtime.api.sys.Posix;
import runtime.core.store.ImageStore;

/**
 * {@code strata shell}: the {@link Shell} on a terminal with jline (line editing, completion, a history
 * kept in DATA/shell_history), or, when stdin or stdout is not a terminal, a script read line by line.
 */
public final class ShellCommand implements Command {
    /** How long a cancelled command may take to stop before the shell stops waiting for it. */
    private static final long CANCEL_GRACE_MILLIS = 2000;
    /** How long after a command a SIGINT may still be the one that ended it. */
    private static final long LATE_SIGNAL_MILLIS = 1000;

    @Override
    public String name() {
        return "shell";
    }

    @Override
    public String summary() {
        return "an interactive shell: explore images' files (use, ls, cat, find, diff) and run strata commands";
    }

    @Override
    public java.util.List<Item> examples() {
        return java.util.List.of(new Item("strata shell", "the interactive shell (also strata alone on a terminal)"),
                new Item("printf 'use busybox\\nls /bin\\n' | strata shell", "a script of shell lines"));
    }

    @Override
    public String arguments() {
        return "(a script on stdin when it is not a terminal)";
    }

    @Override
    public int run(Invocation in) throws Exception {
        if (!in.arguments().isEmpty()) throw new Invocation.UsageException("no arguments expected (a script comes on stdin)");
        ImageStore store = in.engine().store();
        if (!in.stdio().inTty() || !in.stdio().outTty()) {
            return new Shell(store, in.context(), Shell.Screen.PLAIN).resolveWith(in.engine()::resolveImage).script(in.stdio().in());
        }
        try (Terminal terminal = terminal(in.context())) {
            return interactive(store, in, terminal);
        }
    }

    /**
     * The caller's terminal. On this JVM's own descriptors, the system terminal (FFM only: jline's JNI and
     * JNA providers are not on the module path, and the exec provider would fork stty). On descriptors
     * received from elsewhere (a front talking to the server), a terminal over the caller's streams that
     * does its own line discipline: the JVM's system terminal is not the caller's.
     */
    private static Terminal terminal(Context caller) throws IOException {
        Context.Stdio io = caller.stdio();
        if (io.inFd() == 0 && io.outFd() == 1 && io.in() == System.in && io.out() == System.out) {
            return TerminalBuilder.builder().system(true).provider("ffm").nativeSignals(true)
                    .signalHandler(Terminal.SignalHandler.SIG_IGN).build();
        }
        return TerminalBuilder.builder().system(false).streams(io.in(), io.out())
                .type(caller.env().getOrDefault("TERM", "dumb")).encoding(java.nio.charset.StandardCharsets.UTF_8)
                .signalHandler(Terminal.SignalHandler.SIG_IGN).build();
    }

    private static int interactive(ImageStore store, Invocation in, Terminal terminal) {
        Shell shell = new Shell(store, in.context(), screen(terminal)).resolveWith(in.engine()::resolveImage);
        LineReaderBuilder builder = LineReaderBuilder.builder().terminal(terminal).appName("strata")
                .completer(new ShellCompleter(shell))
                .option(LineReader.Option.DISABLE_EVENT_EXPANSION, true) // '!' belongs to the commands typed
                .option(LineReader.Option.HISTORY_IGNORE_DUPS, true)
                .variable(LineReader.HISTORY_SIZE, 2000);
        Path history = store.data().resolve("shell_history");
        try {
            Files.createDirectories(store.data());
            builder.variable(LineReader.HISTORY_FILE, history);
        } catch (IOException e) {
            in.err().println("strata: no history across sessions: " + Main.message(e));
        }
        LineReader reader = builder.build();
        in.out().println("strata shell: help lists the commands, Tab completes, Ctrl-D leaves.");
        int last = 0;
        long commandEnded = 0;
        String typed = null;
        while (true) {
            shell.screen(screen(terminal)); // the terminal may have been resized since the last line
            String line;
            try {
                line = reader.readLine(shell.prompt(), null, (Character) null, typed);
                typed = null;
            } catch (UserInterruptException e) {
                // Ctrl-C at the prompt drops the line, as in sh. But the JVM runs signal handlers late under
                // load: a Ctrl-C that ended the last command can arrive once the next prompt is up; it must
                // not eat what was typed since.
                boolean late = System.nanoTime() - commandEnded < TimeUnit.MILLISECONDS.toNanos(LATE_SIGNAL_MILLIS);
                typed = late && !e.getPartialLine().isEmpty() ? e.getPartialLine() : null;
                commandEnded = 0;
                continue;
            } catch (EndOfFileException e) {
                return last;
            }
            try {
                last = cancellable(shell, line, terminal, in);
                commandEnded = System.nanoTime();
            } catch (Shell.Exit e) {
                return e.code;
            }
        }
    }

    /**
     * Runs a line on its own thread so that Ctrl-C can cancel it and leave the shell: SIGINT interrupts the
     * thread (the shell's own commands check for it; a container in the foreground gets SIGINT from the
     * terminal itself). A command that ignores the interrupt is left to finish in the background.
     */
    private static int cancellable(Shell shell, String line, Terminal terminal, Invocation in) {
        FutureTask<Integer> task = new FutureTask<>(() -> shell.execute(line));
        Thread worker = Thread.ofPlatform().name("strata-shell-command").daemon(true).unstarted(task);
        AtomicLong cancelledAt = new AtomicLong();
        // A fresh handler object each time: jline re-registers the native handler only when it changes, and
        // a foreground `run` replaces it with its own signal forwarding.
        Terminal.SignalHandler previous = terminal.handle(Terminal.Signal.INT, signal -> {
            cancelledAt.compareAndSet(0, System.nanoTime());
            worker.interrupt();
        });
        worker.start();
        try {
            while (true) {
                try {
                    return task.get(50, TimeUnit.MILLISECONDS);
                } catch (TimeoutException e) {
                    long at = cancelledAt.get();
                    if (at != 0 && System.nanoTime() - at > TimeUnit.MILLISECONDS.toNanos(CANCEL_GRACE_MILLIS)) {
                        in.err().println("strata: cancelled (the command may still finish in the background)");
                        return 130;
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return 130;
                } catch (ExecutionException e) {
                    if (e.getCause() instanceof Shell.Exit exit) throw exit;
                    in.err().println("strata: " + Main.message(e.getCause()));
                    return 125;
                }
            }
        } finally {
            in.out().flush();
            terminal.handle(Terminal.Signal.INT, previous == null ? Terminal.SignalHandler.SIG_IGN : previous);
        }
    }

    private static Shell.Screen screen(Terminal terminal) {
        Integer colours = terminal.getNumericCapability(InfoCmp.Capability.max_colors);
        int width = terminal.getWidth();
        int height = terminal.getHeight();
        return new Shell.Screen(width > 0 ? width : 80, colours != null && colours >= 8, a -> a.toAnsi(terminal), height > 0 ? height : 24);
    }
}
