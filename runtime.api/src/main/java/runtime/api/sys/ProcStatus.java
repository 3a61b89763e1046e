package runtime.api.sys;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The caller's ids from {@code /proc/self/status}. Commands that need no other system call (a cached
 * build, the store commands) then never link a downcall: the first one costs more on a cold JVM than
 * everything else such a command does.
 */
final class ProcStatus {
    private ProcStatus() {}

    /**
     * Field {@code name} ("Uid:" or "Gid:"), column {@code index} (0 real, 1 effective, 2 saved, 3
     * filesystem), or -1 when /proc is not there to ask.
     */
    static int id(String name, int index) {
        String status = text();
        if (status == null) return -1;
        int at = status.indexOf("\n" + name);
        if (at < 0) return -1;
        int end = status.indexOf('\n', at + 1);
        // Tab-separated: a one-character split compiles no regex.
        String[] columns = status.substring(at + 1 + name.length(), end < 0 ? status.length() : end).strip().split("\t");
        if (index >= columns.length) return -1;
        try {
            return Integer.parseInt(columns[index]);
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /**
     * The file, read on first use and kept: no strata JVM changes its ids (the helper does, after its exec),
     * and the warm server asked for them several times per invocation (an open and ~1.4 KB of procfs text each
     * time). Lazily, in a field and not a class initializer, so no start-up cache can carry a training run's.
     */
    private static volatile String text;

    private static String text() {
        String t = text;
        if (t == null) {
            try {
                t = Files.readString(Path.of("/proc/self/status"));
            } catch (IOException | SecurityException e) {
                return null;
            }
            text = t;
        }
        return t;
    }
}
