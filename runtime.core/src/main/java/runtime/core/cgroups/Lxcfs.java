package runtime.core.cgroups;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import runtime.api.Probe;
import runtime.api.plan.SetupOp;

/**
 * /proc virtualization through lxcfs (Debian's lxcfs, a FUSE filesystem at /var/lib/lxcfs run by root):
 * its files answer a reader with its own cgroup's view, so {@code free} in a container with
 * {@code --memory} shows that limit, and (with lxcfs's --enable-cfs) /proc/cpuinfo and the online CPUs
 * its CPU quota. A limited container gets them bound read-only over its /proc and /sys files (unlimited
 * ones need nothing: the view would be the host's anyway, and the binds cost a FUSE lookup each).
 */
public final class Lxcfs {
    /** Where Debian's lxcfs.service mounts it. */
    public static final Path MOUNT = Path.of("/var/lib/lxcfs");
    /** The files lxcfs virtualizes, as lxcfs's own LXC hook binds them. */
    static final List<String> PROC = List.of("cpuinfo", "diskstats", "loadavg", "meminfo", "stat", "swaps", "uptime");
    static final String CPU_ONLINE = "sys/devices/system/cpu/online";

    private Lxcfs() {}

    /** Whether lxcfs is mounted and answers (a stale FUSE mount whose daemon died fails this read). */
    public static Probe probe() {
        String type;
        try {
            type = Files.readAllLines(Path.of("/proc/self/mountinfo")).stream()
                    .filter(l -> l.split(" ").length > 4 && l.split(" ")[4].equals(MOUNT.toString()))
                    .map(l -> l.substring(l.indexOf(" - ") + 3).split(" ")[0]).findFirst().orElse("");
        } catch (IOException e) {
            type = "";
        }
        if (!type.equals("fuse.lxcfs")) {
            return Probe.unusable("lxcfs is not mounted at " + MOUNT + " (apt-get install lxcfs; it runs as root: "
                    + "lxcfs --enable-cfs " + MOUNT + ")");
        }
        try {
            Files.readAllBytes(MOUNT.resolve("proc/meminfo"));
        } catch (IOException e) {
            return Probe.unusable(MOUNT + " does not answer (" + e.getMessage() + "): restart lxcfs");
        }
        return Probe.usable("mounted at " + MOUNT + ": a container with limits sees them in /proc (free, top, nproc)");
    }

    /**
     * The binds over a container's proc/ and sys/ (relative to its root, after both are mounted); optional,
     * so a file this lxcfs lacks is skipped. Empty when lxcfs is not there.
     */
    public static List<SetupOp> binds() {
        List<SetupOp> binds = new ArrayList<>();
        if (!Files.isRegularFile(MOUNT.resolve("proc/meminfo"))) return binds;
        for (String file : PROC) binds.add(new SetupOp.Bind(MOUNT.resolve("proc").resolve(file), Path.of("proc", file), true, true));
        binds.add(new SetupOp.Bind(MOUNT.resolve(CPU_ONLINE), Path.of(CPU_ONLINE), true, true));
        return binds;
    }
}
