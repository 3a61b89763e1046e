package runtime.core.store;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Removes one store user's half-made layers: a staging directory is registered while it is being filled
 * and unregistered once committed or discarded. {@link #removeAll} runs when that user is done (the
 * invocation ends, also when it was cancelled) and, for every user still at work, when the JVM shuts
 * down (Ctrl-C, SIGTERM of a plain strata process). So in a JVM serving many invocations, ending one
 * removes only its own. SIGKILL leaves them in DATA/tmp, invisible to the store, for {@code strata clean}.
 */
final class StagingCleanup {
    /**
     * The cleanups with work in progress, for the one shutdown hook of this JVM: registered with the first
     * staging directory (a holder class), so a run that makes no layer sets up no hook.
     */
    private static final class Live {
        static final Set<StagingCleanup> CLEANUPS = ConcurrentHashMap.newKeySet();

        static {
            Runtime.getRuntime().addShutdownHook(new Thread(() -> CLEANUPS.forEach(StagingCleanup::removeAll), "strata-staging-cleanup"));
        }
    }

    private final Set<Path> inProgress = ConcurrentHashMap.newKeySet();
    private volatile boolean registered;

    void register(Path staging) {
        if (!registered) {
            Live.CLEANUPS.add(this);
            registered = true;
        }
        inProgress.add(staging);
    }

    void unregister(Path staging) {
        inProgress.remove(staging);
    }

    /** Deletes what is still registered (best effort) and leaves the shutdown hook's list. */
    void removeAll() {
        for (Path p : inProgress) {
            try {
                Trees.deleteRecursively(p);
            } catch (IOException | RuntimeException ignored) {
                // best effort at exit
            }
            TmpDirectories.release(p);
            inProgress.remove(p);
        }
        if (registered) {
            Live.CLEANUPS.remove(this);
            registered = false;
        }
    }
}
