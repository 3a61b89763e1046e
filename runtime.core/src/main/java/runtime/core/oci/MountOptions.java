package runtime.core.oci;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import runtime.api.plan.MountFlags;

/**
 * An OCI mount's {@code options} (mount(8) words) split the way mount(2) wants them: flags, the
 * propagation change to apply afterwards, whether a bind is one, and the filesystem data string for
 * everything the kernel does not take as a flag ({@code mode=755}, {@code size=64k}, {@code newinstance}).
 */
public record MountOptions(long flags, long propagation, boolean bind, boolean recursive, String data) {
    private static final long MS_SYNCHRONOUS = 16, MS_MANDLOCK = 64, MS_DIRSYNC = 128, MS_NOATIME = 1024,
            MS_NODIRATIME = 2048, MS_UNBINDABLE = 1 << 17, MS_SHARED = 1 << 20, MS_RELATIME = 1 << 21,
            MS_STRICTATIME = 1 << 24;

    /** Words that set a flag. */
    private static final Map<String, Long> SET = Map.ofEntries(
            Map.entry("ro", MountFlags.MS_RDONLY), Map.entry("nosuid", MountFlags.MS_NOSUID),
            Map.entry("nodev", MountFlags.MS_NODEV), Map.entry("noexec", MountFlags.MS_NOEXEC),
            Map.entry("sync", MS_SYNCHRONOUS), Map.entry("mand", MS_MANDLOCK), Map.entry("dirsync", MS_DIRSYNC),
            Map.entry("noatime", MS_NOATIME), Map.entry("nodiratime", MS_NODIRATIME), Map.entry("relatime", MS_RELATIME),
            Map.entry("strictatime", MS_STRICTATIME));

    /** Words that are defaults (their flag cleared) and so change nothing here. */
    private static final List<String> DEFAULTS = List.of("rw", "suid", "dev", "exec", "async", "nomand", "atime", "diratime",
            "norelatime", "nostrictatime", "defaults");

    private static final Map<String, Long> PROPAGATION = Map.of(
            "private", MountFlags.MS_PRIVATE, "rprivate", MountFlags.MS_PRIVATE | MountFlags.MS_REC,
            "slave", MountFlags.MS_SLAVE, "rslave", MountFlags.MS_SLAVE | MountFlags.MS_REC,
            "shared", MS_SHARED, "rshared", MS_SHARED | MountFlags.MS_REC,
            "unbindable", MS_UNBINDABLE, "runbindable", MS_UNBINDABLE | MountFlags.MS_REC);

    public static MountOptions parse(String type, List<String> options) {
        long flags = 0, propagation = 0;
        boolean bind = type.equals("bind") || type.equals("rbind");
        boolean recursive = type.equals("rbind");
        List<String> data = new ArrayList<>();
        for (String option : options) {
            if (option.equals("bind")) {
                bind = true;
            } else if (option.equals("rbind")) {
                bind = true;
                recursive = true;
            } else if (SET.containsKey(option)) {
                flags |= SET.get(option);
            } else if (PROPAGATION.containsKey(option)) {
                propagation = PROPAGATION.get(option);
            } else if (!DEFAULTS.contains(option) && !option.isEmpty()) {
                data.add(option);
            }
        }
        return new MountOptions(flags, propagation, bind, recursive, data.isEmpty() ? null : String.join(",", data));
    }

    public boolean readOnly() {
        return (flags & MountFlags.MS_RDONLY) != 0;
    }
}
