package runtime.api.sys;

import java.io.IOException;

/** A libc call failed; the message reads like {@code "open /x: No such file or directory"}. */
public final class ErrnoException extends IOException {
    private final int errno;

    public ErrnoException(String what, int errno) {
        super(what + ": " + Errno.describe(errno));
        this.errno = errno;
    }

    public int errno() {
        return errno;
    }
}
