package runtime.api.sys;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/** errno values strata tests for, and their text as libc gives it. */
public final class Errno {
    public static final int EPERM = 1;
    public static final int ENOENT = 2;
    public static final int ESRCH = 3;
    public static final int EINTR = 4;
    public static final int EAGAIN = 11;
    public static final int EACCES = 13;
    public static final int EEXIST = 17;
    public static final int ENOTDIR = 20;
    public static final int EINVAL = 22;
    public static final int ENOSYS = 38;
    public static final int ECHILD = 10;
    public static final int ETIMEDOUT = 110;
    public static final int EMSGSIZE = 90;
    public static final int ENAMETOOLONG = 36;
    public static final int ECONNABORTED = 103;
    public static final int ECONNREFUSED = 111;

    private static final Downcall STRERROR = Downcall.of("strerror");

    private Errno() {}

    /** {@code strerror(errno)}, e.g. "Permission denied". */
    public static String describe(int errno) {
        try (Arena arena = Arena.ofConfined()) {
            long text = STRERROR.call(LibC.captureState(arena), errno);
            return MemorySegment.ofAddress(text).reinterpret(256).getString(0);
        } catch (RuntimeException e) {
            return "errno " + errno;
        }
    }
}
