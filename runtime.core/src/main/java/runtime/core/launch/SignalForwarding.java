package runtime.core.launch;

import runtime.api.sys.ErrnoException;
import runtime.api.sys.Posix;
import sun.misc.Signal;

/**
 * Makes the JVM waiting for a foreground container behave like the container itself: signals sent to
 * strata go on to the container, and strata does not die of them first.
 *
 * <p>SIGINT and SIGQUIT from a terminal reach the whole foreground process group, the container
 * included, so they are not forwarded when stdin is a terminal (the container would get them twice);
 * sent to strata's pid alone (no terminal), they are forwarded.
 */
public final class SignalForwarding {
    private SignalForwarding() {}

    public static void forward(Container container) {
        boolean terminal = Posix.isatty(0);
        handle("TERM", container, true);
        handle("HUP", container, true);
        handle("INT", container, !terminal);
    }

    private static void handle(String name, Container container, boolean forward) {
        try {
            Signal.handle(new Signal(name), signal -> {
                if (!forward) return;
                try {
                    container.signal(signal.getNumber());
                } catch (ErrnoException e) {
                    // the container is gone already
                }
            });
        } catch (IllegalArgumentException e) {
            // the JVM reserves this signal (e.g. with -Xrs): leave the default
        }
    }
}
