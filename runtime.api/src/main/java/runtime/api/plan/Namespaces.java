package runtime.api.plan;

import java.util.ArrayList;
import java.util.List;

/** The {@code CLONE_NEW*} flags of {@code <sched.h>}, for {@link SetupOp.Unshare} and friends. */
public final class Namespaces {
    public static final int MOUNT = 0x00020000;
    public static final int CGROUP = 0x02000000;
    public static final int UTS = 0x04000000;
    public static final int IPC = 0x08000000;
    public static final int USER = 0x10000000;
    public static final int PID = 0x20000000;
    public static final int NET = 0x40000000;

    private Namespaces() {}

    public static String describe(int flags) {
        List<String> names = new ArrayList<>();
        if ((flags & MOUNT) != 0) names.add("mount");
        if ((flags & CGROUP) != 0) names.add("cgroup");
        if ((flags & UTS) != 0) names.add("uts");
        if ((flags & IPC) != 0) names.add("ipc");
        if ((flags & USER) != 0) names.add("user");
        if ((flags & PID) != 0) names.add("pid");
        if ((flags & NET) != 0) names.add("net");
        return names.isEmpty() ? "nothing" : String.join("+", names) + " namespace";
    }
}
