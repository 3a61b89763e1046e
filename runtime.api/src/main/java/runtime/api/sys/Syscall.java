package runtime.api.sys;

import java.lang.foreign.MemorySegment;

/**
 * libc's variadic {@code long syscall(long number, ...)}, for the simple system calls (ids, pipe, open, close,
 * read, write, wait, kill, isatty): one libc symbol instead of one per call, through the shape every libc call
 * shares (see {@link LibC} for why calling it with that non-variadic shape is sound).
 */
final class Syscall {
    /** aarch64 and riscv64 number their calls by the generic table; x86_64 has its own; others: refuse. */
    private static final boolean AARCH64 = genericTable(System.getProperty("os.arch"));

    // Numbers from <asm/unistd_64.h> (x86_64) and <asm-generic/unistd.h> (aarch64, riscv64).
    static final long READ = AARCH64 ? 63 : 0;
    static final long WRITE = AARCH64 ? 64 : 1;
    static final long CLOSE = AARCH64 ? 57 : 3;
    static final long IOCTL = AARCH64 ? 29 : 16;
    static final long GETPID = AARCH64 ? 172 : 39;
    static final long WAIT4 = AARCH64 ? 260 : 61;
    static final long KILL = AARCH64 ? 129 : 62;
    static final long GETUID = AARCH64 ? 174 : 102;
    static final long GETGID = AARCH64 ? 176 : 104;
    static final long GETEUID = AARCH64 ? 175 : 107;
    static final long PIPE2 = AARCH64 ? 59 : 293;
    static final long OPENAT = AARCH64 ? 56 : 257;
    static final long FCNTL = AARCH64 ? 25 : 72;
    static final long MEMFD_CREATE = AARCH64 ? 279 : 319;
    static final long SCHED_SETAFFINITY = AARCH64 ? 122 : 203;
    static final long SCHED_GETAFFINITY = AARCH64 ? 123 : 204;

    /** {@code ioctl} request that reads a terminal's settings (what isatty(3) asks); same on both. */
    static final long TCGETS = 0x5401;

    private static final Downcall SYSCALL = Downcall.of("syscall");

    private Syscall() {}

    private static boolean genericTable(String arch) {
        return switch (arch) {
            case "amd64", "x86_64" -> false;
            case "aarch64", "riscv64" -> true;
            // A wrong table would make every call another system call: fail clearly instead.
            default -> throw new UnsupportedOperationException("no system call numbers for os.arch " + arch
                    + " (strata knows x86_64, aarch64 and riscv64)");
        };
    }

    /** The raw result: -1 with errno in {@code state} on failure. */
    static long call(MemorySegment state, long number, long a, long b, long c, long d) {
        return SYSCALL.call(state, number, a, b, c, d);
    }
}
