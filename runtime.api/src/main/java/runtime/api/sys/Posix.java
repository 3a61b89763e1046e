package runtime.api.sys;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/** Process, descriptor and file-node calls of {@code <unistd.h>}, {@code <signal.h>} and friends. */
public final class Posix {
    public static final int O_CLOEXEC = 0x80000;
    public static final int SIGHUP = 1;
    public static final int SIGINT = 2;
    public static final int SIGQUIT = 3;
    public static final int SIGKILL = 9;
    public static final int SIGTERM = 15;
    public static final int S_IFCHR = 0020000;
    public static final int S_IFBLK = 0060000;
    public static final int S_IFIFO = 0010000;
    public static final int O_WRONLY = 01;
    public static final int O_CREAT = 0100;
    public static final int O_TRUNC = 01000;
    /** {@code umount2} flag: detach now, clean up once no longer busy. */
    public static final int MNT_DETACH = 2;

    public static final int ENODATA = 61;
    public static final int O_APPEND = 02000;
    private static final int AT_FDCWD = -100;
    private static final int F_GETPIPE_SZ = 1032;
    private static final int F_ADD_SEALS = 1033;
    private static final int F_SEAL_SEAL = 1, F_SEAL_SHRINK = 2, F_SEAL_GROW = 4, F_SEAL_WRITE = 8;
    private static final int MFD_CLOEXEC = 1, MFD_ALLOW_SEALING = 2, MFD_EXEC = 0x10;
    private static final int RENAME_EXCHANGE = 2;

    private static final int AT_SYMLINK_NOFOLLOW = 0x100;
    /** {@code tv_nsec} value of {@code utimensat}: leave this time as it is. */
    private static final long UTIME_OMIT = (1L << 30) - 2;

    // Simple system calls go through Syscall; these are libc functions (all called through LibC's one shape).
    private static final Downcall MKNOD = Downcall.of("mknod");
    private static final Downcall RENAMEAT2 = Downcall.of("renameat2");
    private static final Downcall CHMOD = Downcall.of("chmod");
    private static final Downcall LSETXATTR = Downcall.of("lsetxattr");
    private static final Downcall LGETXATTR = Downcall.of("lgetxattr");
    private static final Downcall LREMOVEXATTR = Downcall.of("lremovexattr");
    private static final Downcall UMOUNT2 = Downcall.of("umount2");
    private static final Downcall LCHOWN = Downcall.of("lchown");
    private static final Downcall UTIMENSAT = Downcall.of("utimensat");
    private static final Downcall UMASK = Downcall.of("umask");
    private static final Downcall UNSHARE = Downcall.of("unshare");

    /** {@code CLONE_FS} of unshare(2): the calling thread's own working directory, root and umask. */
    private static final int CLONE_FS = 0x200;

    private Posix() {}

    /**
     * Links the native-call shape on a daemon thread now. A command that will surely call native code (one
     * that starts a container) calls this first thing: the link is the biggest single cost of a cold start
     * (~30 ms, see LibC), and on a second core it overlaps the command's own start-up work; the first
     * native call waits for it to finish.
     */
    public static void linkAhead() {
        Thread.ofPlatform().daemon().name("strata-link-ahead").start(LibC::link);
    }

    /** {@code umask(2)}: sets the process's file creation mask and returns the previous one. */
    public static int umask(int mask) {
        try (Arena arena = Arena.ofConfined()) {
            return (int) UMASK.call(LibC.captureState(arena), mask);
        }
    }

    /**
     * Gives the calling thread a umask of its own ({@code unshare(CLONE_FS)}, then {@code umask(2)}): a
     * process has one umask, but a server runs each caller's invocation on a thread of its own, and what
     * that thread creates must get the caller's modes. Threads it starts share its umask.
     */
    public static void threadUmask(int mask) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = LibC.captureState(arena);
            if ((int) UNSHARE.call(state, CLONE_FS) != 0) throw new ErrnoException("unshare CLONE_FS", LibC.errno(state));
        }
        umask(mask);
    }

    /** {@code lsetxattr(2)}: any namespace (trusted.* needs root); does not follow a symlink. */
    public static void setxattr(String path, String name, byte[] value) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = LibC.captureState(arena);
            MemorySegment v = arena.allocateFrom(JAVA_BYTE, value);
            if ((int) LSETXATTR.call(state, arena.allocateFrom(path).address(), arena.allocateFrom(name).address(), v.address(),
                    value.length, 0) != 0) {
                throw new ErrnoException("setxattr " + name + " on " + path, LibC.errno(state));
            }
        }
    }

    /** {@code lgetxattr(2)}: the value, or null when the attribute is absent (or unsupported). */
    public static byte[] getxattr(String path, String name) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = LibC.captureState(arena);
            MemorySegment buf = arena.allocate(4096);
            long n = LGETXATTR.call(state, arena.allocateFrom(path).address(), arena.allocateFrom(name).address(), buf.address(), 4096L);
            if (n < 0) {
                int errno = LibC.errno(state);
                if (errno == ENODATA || errno == 95 /* EOPNOTSUPP */) return null;
                throw new ErrnoException("getxattr " + name + " on " + path, errno);
            }
            return buf.asSlice(0, n).toArray(JAVA_BYTE);
        }
    }

    /** {@code lremovexattr(2)}; an absent attribute is not an error. Does not follow a symlink. */
    public static void removexattr(String path, String name) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = LibC.captureState(arena);
            if ((int) LREMOVEXATTR.call(state, arena.allocateFrom(path).address(), arena.allocateFrom(name).address()) != 0) {
                int errno = LibC.errno(state);
                if (errno != ENODATA) throw new ErrnoException("removexattr " + name + " on " + path, errno);
            }
        }
    }

    /**
     * {@code chmod(2)}. The JDK's own mode setter opens the file first, which fails on a directory with
     * mode 000 (the kernel leaves overlay's work/work so); chmod by path does not.
     */
    public static void chmod(String path, int mode) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = LibC.captureState(arena);
            if ((int) CHMOD.call(state, arena.allocateFrom(path).address(), mode) != 0) {
                throw new ErrnoException("chmod " + path, LibC.errno(state));
            }
        }
    }

    /** {@code lchown(2)}: owner and group in one call, of the link itself for a symlink. */
    public static void lchown(String path, int uid, int gid) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = LibC.captureState(arena);
            if ((int) LCHOWN.call(state, arena.allocateFrom(path).address(), uid, gid) != 0) {
                throw new ErrnoException("lchown " + path, LibC.errno(state));
            }
        }
    }

    /**
     * Sets the modification time ({@code utimensat(AT_SYMLINK_NOFOLLOW)}, access time untouched) by path in
     * one call, of the link itself for a symlink; the JDK's attribute view opens the file to do it.
     */
    public static void setModificationTime(String path, long epochSecond, int nanos) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = LibC.captureState(arena);
            MemorySegment times = arena.allocate(JAVA_LONG, 4); // struct timespec[2]: atime, mtime
            times.setAtIndex(JAVA_LONG, 0, 0);
            times.setAtIndex(JAVA_LONG, 1, UTIME_OMIT);
            times.setAtIndex(JAVA_LONG, 2, epochSecond);
            times.setAtIndex(JAVA_LONG, 3, nanos);
            if ((int) UTIMENSAT.call(state, AT_FDCWD, arena.allocateFrom(path).address(), times.address(), AT_SYMLINK_NOFOLLOW) != 0) {
                throw new ErrnoException("utimensat " + path, LibC.errno(state));
            }
        }
    }

    /** Swaps two paths atomically ({@code renameat2(RENAME_EXCHANGE)}): both must exist. */
    public static void renameExchange(String a, String b) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = LibC.captureState(arena);
            int rc = (int) RENAMEAT2.call(state, AT_FDCWD, arena.allocateFrom(a).address(), AT_FDCWD,
                    arena.allocateFrom(b).address(), RENAME_EXCHANGE);
            if (rc != 0) throw new ErrnoException("exchange " + a + " and " + b, LibC.errno(state));
        }
    }

    public static int getuid() {
        int id = ProcStatus.id("Uid:", 0);
        if (id >= 0) return id;
        try (Arena arena = Arena.ofConfined()) {
            return (int) Syscall.call(LibC.captureState(arena), Syscall.GETUID, 0, 0, 0, 0);
        }
    }

    public static int geteuid() {
        int id = ProcStatus.id("Uid:", 1);
        if (id >= 0) return id;
        try (Arena arena = Arena.ofConfined()) {
            return (int) Syscall.call(LibC.captureState(arena), Syscall.GETEUID, 0, 0, 0, 0);
        }
    }

    public static int getgid() {
        int id = ProcStatus.id("Gid:", 0);
        if (id >= 0) return id;
        try (Arena arena = Arena.ofConfined()) {
            return (int) Syscall.call(LibC.captureState(arena), Syscall.GETGID, 0, 0, 0, 0);
        }
    }

    public static int getpid() {
        try (Arena arena = Arena.ofConfined()) {
            return (int) Syscall.call(LibC.captureState(arena), Syscall.GETPID, 0, 0, 0, 0);
        }
    }

    /** What isatty(3) does: a descriptor is a terminal when it has terminal settings. */
    public static boolean isatty(int fd) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment termios = arena.allocate(64);
            return Syscall.call(LibC.captureState(arena), Syscall.IOCTL, fd, Syscall.TCGETS, termios.address(), 0) == 0;
        }
    }

    /** A pipe whose both ends are close-on-exec: {@code [read, write]}. */
    public static int[] pipe() throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = LibC.captureState(arena);
            MemorySegment fds = arena.allocate(JAVA_INT, 2);
            if (Syscall.call(state, Syscall.PIPE2, fds.address(), O_CLOEXEC, 0, 0) != 0) {
                throw new ErrnoException("pipe2", LibC.errno(state));
            }
            return new int[] {fds.getAtIndex(JAVA_INT, 0), fds.getAtIndex(JAVA_INT, 1)};
        }
    }

    /**
     * A close-on-exec memfd named {@code name} holding {@code bytes}, sealed against every change (write,
     * grow, shrink, more seals): a program run from it cannot be altered through it by anyone.
     * Executable where vm.memfd_noexec would default a memfd to not (MFD_EXEC, Linux 6.3).
     */
    public static int sealedMemfd(String name, byte[] bytes) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = LibC.captureState(arena);
            long cname = arena.allocateFrom(name).address();
            int fd = (int) Syscall.call(state, Syscall.MEMFD_CREATE, cname, MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_EXEC, 0, 0);
            if (fd < 0 && LibC.errno(state) == Errno.EINVAL) {
                fd = (int) Syscall.call(state, Syscall.MEMFD_CREATE, cname, MFD_CLOEXEC | MFD_ALLOW_SEALING, 0, 0);
            }
            if (fd < 0) throw new ErrnoException("memfd_create", LibC.errno(state));
            try {
                writeAll(fd, bytes);
                if (Syscall.call(state, Syscall.FCNTL, fd, F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE, 0) != 0) {
                    throw new ErrnoException("fcntl F_ADD_SEALS", LibC.errno(state));
                }
                return fd;
            } catch (ErrnoException e) {
                close(fd);
                throw e;
            }
        }
    }

    /** {@code fcntl(F_GETPIPE_SZ)}: how many bytes the pipe {@code fd} holds before a write blocks. */
    public static int pipeCapacity(int fd) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = LibC.captureState(arena);
            long n = Syscall.call(state, Syscall.FCNTL, fd, F_GETPIPE_SZ, 0, 0);
            if (n < 0) throw new ErrnoException("fcntl F_GETPIPE_SZ", LibC.errno(state));
            return (int) n;
        }
    }

    public static void close(int fd) {
        if (fd < 0) return;
        try (Arena arena = Arena.ofConfined()) {
            Syscall.call(LibC.captureState(arena), Syscall.CLOSE, fd, 0, 0, 0);
        }
    }

    /** Reads up to {@code length} bytes; returns 0 at end of file. Retries on EINTR. */
    public static int read(int fd, byte[] buffer, int length) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = LibC.captureState(arena);
            MemorySegment native_ = arena.allocate(Math.max(1, length));
            while (true) {
                long n = Syscall.call(state, Syscall.READ, fd, native_.address(), length, 0);
                if (n >= 0) {
                    MemorySegment.copy(native_, JAVA_BYTE, 0, buffer, 0, (int) n);
                    return (int) n;
                }
                int errno = LibC.errno(state);
                if (errno != Errno.EINTR) throw new ErrnoException("read", errno);
            }
        }
    }


    /** Writes all of {@code data}, retrying on short writes and EINTR. */
    public static void writeAll(int fd, byte[] data) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = LibC.captureState(arena);
            MemorySegment native_ = arena.allocateFrom(JAVA_BYTE, data);
            long done = 0;
            while (done < data.length) {
                long n = Syscall.call(state, Syscall.WRITE, fd, native_.address() + done, data.length - done, 0);
                if (n < 0) {
                    int errno = LibC.errno(state);
                    if (errno == Errno.EINTR) continue;
                    throw new ErrnoException("write", errno);
                }
                done += n;
            }
        }
    }

    /**
     * Narrows process {@code pid}'s CPU affinity to the first {@code count} CPUs it may run on (none
     * changed when it has no more), so nproc and sched_getaffinity in it count its CPU limit.
     */
    public static void keepFirstCpus(long pid, int count) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = LibC.captureState(arena);
            int bytes = 1024 / 8; // the kernel's CPU mask for up to 1024 CPUs, as glibc's cpu_set_t
            MemorySegment mask = arena.allocate(bytes);
            long got = Syscall.call(state, Syscall.SCHED_GETAFFINITY, (int) pid, bytes, mask.address(), 0);
            if (got < 0) throw new ErrnoException("sched_getaffinity " + pid, LibC.errno(state));
            int kept = 0;
            for (int i = 0; i < got * 8; i++) {
                int b = mask.get(java.lang.foreign.ValueLayout.JAVA_BYTE, i / 8);
                if ((b & (1 << (i % 8))) == 0) continue;
                if (kept < count) kept++;
                else mask.set(java.lang.foreign.ValueLayout.JAVA_BYTE, i / 8, (byte) (b & ~(1 << (i % 8))));
            }
            if (Syscall.call(state, Syscall.SCHED_SETAFFINITY, (int) pid, got, mask.address(), 0) < 0) {
                throw new ErrnoException("sched_setaffinity " + pid, LibC.errno(state));
            }
        }
    }

    /** Sends {@code signal}; returns false if the process no longer exists. */
    public static boolean kill(long pid, int signal) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = LibC.captureState(arena);
            if (Syscall.call(state, Syscall.KILL, (int) pid, signal, 0, 0) == 0) return true;
            int errno = LibC.errno(state);
            if (errno == Errno.ESRCH) return false;
            throw new ErrnoException("kill " + pid, errno);
        }
    }

    /** Blocks until child {@code pid} ends and returns its raw wait status (see {@link WaitStatus}). */
    public static int waitpid(long pid) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = LibC.captureState(arena);
            MemorySegment status = arena.allocate(JAVA_INT);
            while (true) {
                long r = Syscall.call(state, Syscall.WAIT4, (int) pid, status.address(), 0, 0);
                if (r == pid) return status.get(JAVA_INT, 0);
                int errno = LibC.errno(state);
                if (errno != Errno.EINTR) throw new ErrnoException("waitpid " + pid, errno);
            }
        }
    }

    /** {@code mknod(path, mode, makedev(major, minor))}. */
    public static void mknod(String path, int mode, int major, int minor) throws ErrnoException {
        long dev = ((long) (major & 0xfffff000) << 32) | ((long) (major & 0xfff) << 8)
                | ((long) (minor & 0xffffff00) << 12) | (minor & 0xff);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = LibC.captureState(arena);
            if ((int) MKNOD.call(state, arena.allocateFrom(path).address(), mode, dev) != 0) {
                throw new ErrnoException("mknod " + path, LibC.errno(state));
            }
        }
    }

    /**
     * {@code open(path, flags, mode)}: a raw descriptor, e.g. to hand a file to a spawned process as its
     * stdout (Java's streams do not expose theirs). The caller closes it with {@link #close}.
     */
    public static int open(String path, int flags, int mode) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = LibC.captureState(arena);
            while (true) {
                // Close-on-exec: only the spawn that maps it (dup2 clears the flag) may inherit it.
                int fd = (int) Syscall.call(state, Syscall.OPENAT, AT_FDCWD, arena.allocateFrom(path).address(), flags | O_CLOEXEC, mode);
                if (fd >= 0) return fd;
                int errno = LibC.errno(state);
                if (errno != Errno.EINTR) throw new ErrnoException(path, errno);
            }
        }
    }

    /** {@code umount2(path, flags)}, e.g. with {@link #MNT_DETACH}. */
    public static void umount2(String path, int flags) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = LibC.captureState(arena);
            if ((int) UMOUNT2.call(state, arena.allocateFrom(path).address(), flags) != 0) {
                throw new ErrnoException("unmount " + path, LibC.errno(state));
            }
        }
    }
}
