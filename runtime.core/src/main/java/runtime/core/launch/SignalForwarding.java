package runtime.core.launch;

import java.util.ArrayList;
import java.util.List;

import runtime.api.sys.ErrnoException;
import sun.misc.Signal;

/**
 * Makes the JVM waiting for a foreground container behave like the container itself: signals sent to
 * strata go on to the container, and strata does not die of them first.
 *
 * <p>Install it before starting the container: a signal that arrives while the container is still being
 * started is held and delivered once it runs (otherwise the JVM's default handler would end strata and
 * leave the container behind).
 *
 * <p>SIGINT from a terminal reaches the whole foreground process group, the container included, so it
 * is not forwarded when stdin is a terminal (the container would get it twice); sent to strata's pid
 * alone (no terminal), it is forwarded.
 */
public final class SignalForwarding {
    private Container container;
    private final List<Integer> pending = new ArrayList<>();
    private final java.util.Map<Signal, sun.misc.SignalHandler> previous = new java.util.LinkedHashMap<>();

    private SignalForwarding() {}

    /**
     * Starts catching SIGTERM, SIGHUP and SIGINT for a container that is about to start;
     * {@code stdinIsTerminal}: the caller's standard input is a terminal (then its SIGINT reaches the
     * container from the terminal itself).
     */
    public static SignalForwarding install(boolean stdinIsTerminal) {
        SignalForwarding f = new SignalForwarding();
        // Through the server the caller's front spawned the container and relays the caller's signals to it;
        // the server's own signal handlers are not the caller's.
        if (Spawner.current() != Spawner.LOCAL) return f;
        f.handle("TERM", () -> true);
        f.handle("HUP", () -> true);
        f.handle("INT", () -> !stdinIsTerminal);
        return f;
    }

    /** For a container already running. */
    public static void forward(Container container, boolean stdinIsTerminal) {
        install(stdinIsTerminal).attach(container);
    }

    /**
     * The container now runs: deliver what arrived meanwhile, and forward from now on, until it has
     * ended; then the previous handlers are back (a long-lived strata, the shell, must still die of
     * SIGHUP when its terminal goes away).
     */
    public void attach(Container c) {
        List<Integer> held;
        synchronized (this) {
            container = c;
            held = new ArrayList<>(pending);
            pending.clear();
        }
        c.onExit(this::restore);
        for (int signal : held) send(c, signal);
    }

    /** Puts back the handlers that were in place before {@link #install()}. */
    public synchronized void restore() {
        previous.forEach((signal, handler) -> {
            try {
                Signal.handle(signal, handler);
            } catch (IllegalArgumentException e) {
                // reserved meanwhile: nothing to restore
            }
        });
        previous.clear();
    }

    private void handle(String name, java.util.function.BooleanSupplier forward) {
        try {
            Signal sig = new Signal(name);
            sun.misc.SignalHandler old = Signal.handle(sig, signal -> {
                if (!forward.getAsBoolean()) return;
                Container c;
                synchronized (this) {
                    c = container;
                    if (c == null) {
                        pending.add(signal.getNumber());
                        return;
                    }
                }
                send(c, signal.getNumber());
            });
            previous.put(sig, old);
        } catch (IllegalArgumentException e) {
            // the JVM reserves this signal (e.g. with -Xrs): leave the default
        }
    }

    private static void send(Container c, int signal) {
        try {
            c.signal(signal);
        } catch (ErrnoException e) {
            // the container is gone already
        }
    }
}
