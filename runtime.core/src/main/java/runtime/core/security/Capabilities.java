package runtime.core.security;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** Linux capability names and numbers (linux/capability.h), and the set isolated containers keep. */
public final class Capabilities {
    private static final List<String> NAMES = List.of("CHOWN", "DAC_OVERRIDE", "DAC_READ_SEARCH", "FOWNER", "FSETID", "KILL",
            "SETGID", "SETUID", "SETPCAP", "LINUX_IMMUTABLE", "NET_BIND_SERVICE", "NET_BROADCAST", "NET_ADMIN", "NET_RAW",
            "IPC_LOCK", "IPC_OWNER", "SYS_MODULE", "SYS_RAWIO", "SYS_CHROOT", "SYS_PTRACE", "SYS_PACCT", "SYS_ADMIN",
            "SYS_BOOT", "SYS_NICE", "SYS_RESOURCE", "SYS_TIME", "SYS_TTY_CONFIG", "MKNOD", "LEASE", "AUDIT_WRITE",
            "AUDIT_CONTROL", "SETFCAP", "MAC_OVERRIDE", "MAC_ADMIN", "SYSLOG", "WAKE_ALARM", "BLOCK_SUSPEND", "AUDIT_READ",
            "PERFMON", "BPF", "CHECKPOINT_RESTORE");

    /** podman's default: enough to be root over the container's own files and processes, nothing more. */
    public static final List<String> DEFAULT = List.of("CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL",
            "NET_BIND_SERVICE", "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT");

    private Capabilities() {}

    /** {@code CAP_NET_ADMIN}, {@code net_admin} or {@code NET_ADMIN} to its number. */
    public static int number(String name) {
        String n = name.toUpperCase(Locale.ROOT);
        if (n.startsWith("CAP_")) n = n.substring(4);
        int i = NAMES.indexOf(n);
        if (i < 0) throw new IllegalArgumentException("unknown capability " + name);
        return i;
    }

    /** Throws IllegalArgumentException ("unknown capability X") unless {@code name} is ALL or one {@link #number} knows. */
    public static void check(String name) {
        if (!isAll(name)) number(name);
    }

    private static boolean isAll(String name) {
        return name.equalsIgnoreCase("ALL");
    }

    /**
     * The kept set, as podman merges {@code --cap-add} and {@code --cap-drop}: the default set, or every
     * capability when {@code add} has ALL; minus {@code drop}; plus {@code add}. {@code drop} ALL keeps only
     * {@code add}. A capability both added and dropped, or ALL both added and dropped, is refused: podman
     * refuses them too, and either reading would surprise someone.
     */
    public static List<Integer> keep(List<String> add, List<String> drop) {
        boolean addAll = add.stream().anyMatch(Capabilities::isAll);
        boolean dropAll = drop.stream().anyMatch(Capabilities::isAll);
        if (addAll && dropAll) throw new IllegalArgumentException("capabilities: ALL is both added and dropped; keep one of the two");
        List<Integer> added = new ArrayList<>(), dropped = new ArrayList<>();
        for (String a : add) if (!isAll(a)) added.add(number(a));
        for (String d : drop) if (!isAll(d)) dropped.add(number(d));
        for (String a : add) {
            if (!isAll(a) && dropped.contains(number(a))) {
                throw new IllegalArgumentException("capability " + a + " is both added and dropped; keep one of the two");
            }
        }
        List<Integer> keep = new ArrayList<>();
        if (addAll) {
            for (int i = 0; i < NAMES.size(); i++) keep.add(i);
        } else if (!dropAll) {
            for (String c : DEFAULT) keep.add(number(c));
        }
        keep.removeAll(dropped);
        for (int a : added) if (!keep.contains(a)) keep.add(a);
        return keep;
    }
}
