package runtime.core.oci;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** What /proc says about a process: its start time (to tell it from a later one with the same pid) and state. */
final class ProcessInfo {
    private ProcessInfo() {}

    /** Field 22 of /proc/PID/stat (clock ticks after boot), or -1 when there is no such process. */
    static long startTime(long pid) {
        String[] fields = statFields(pid);
        return fields == null ? -1 : Long.parseLong(fields[19]);
    }

    /** The process exists, is the one started at {@code startTime}, and is not a zombie waiting to be reaped. */
    static boolean alive(long pid, long startTime) {
        if (pid <= 0) return false;
        String[] fields = statFields(pid);
        return fields != null && Long.parseLong(fields[19]) == startTime && !fields[0].equals("Z") && !fields[0].equals("X");
    }

    /** The fields after the command name (which may hold spaces and parentheses): state first. */
    private static String[] statFields(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            return stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /** The inode text of a process's namespace link ({@code pid:[4026531836]}), or null. */
    static String namespace(long pid, String type) {
        try {
            return Files.readSymbolicLink(Path.of("/proc", Long.toString(pid), "ns", type)).toString();
        } catch (IOException e) {
            return null;
        }
    }
}
