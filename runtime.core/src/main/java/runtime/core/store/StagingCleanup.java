package runtime.core.store;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Removes half-made layers when strata is interrupted (Ctrl-C, SIGTERM): a staging directory is
 * registered while it is being filled and unregistered once committed or discarded. SIGKILL leaves it
 * in DATA/tmp, invisible to the store, for {@code strata clean}.
 */
final class StagingCleanup {
    private static final Set<Path> IN_PROGRESS = ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(StagingCleanup::removeAll, "strata-staging-cleanup"));
    }

    private StagingCleanup() {}

    static void register(Path staging) {
        IN_PROGRESS.add(staging);
    }

    static void unregister(Path staging) {
        IN_PROGRESS.remove(staging);
    }

    private static void removeAll() {
        for (Path p : IN_PROGRESS) {
            try {
                Trees.deleteRecursively(p);
            } catch (IOException | RuntimeException ignored) {
                // best effort at exit
            }
            TmpDirectories.release(p);
        }
    }
}
