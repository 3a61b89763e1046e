package runtime.core.oci;

import java.util.List;

/** OCI's {@code RLIMIT_*} names and their numbers on Linux (asm-generic/resource.h). */
final class Rlimits {
    private static final List<String> NAMES = List.of("RLIMIT_CPU", "RLIMIT_FSIZE", "RLIMIT_DATA", "RLIMIT_STACK", "RLIMIT_CORE",
            "RLIMIT_RSS", "RLIMIT_NPROC", "RLIMIT_NOFILE", "RLIMIT_MEMLOCK", "RLIMIT_AS", "RLIMIT_LOCKS", "RLIMIT_SIGPENDING",
            "RLIMIT_MSGQUEUE", "RLIMIT_NICE", "RLIMIT_RTPRIO", "RLIMIT_RTTIME");

    private Rlimits() {}

    static int number(String name) {
        int i = NAMES.indexOf(name);
        if (i < 0) throw new IllegalArgumentException("config.json: unknown rlimit " + name);
        return i;
    }
}
