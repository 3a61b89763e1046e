package runtime.api.sys;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.invoke.MethodHandle;

/**
 * A libc function linked on first call. Linking a downcall spins code, a few milliseconds each at
 * start-up; a command calls only a handful of the bindings, so it should link only those.
 */
final class Downcall {
    private final String name;
    private final FunctionDescriptor descriptor;
    private final boolean captureErrno;
    private final Linker.Option[] options;
    private volatile MethodHandle handle;

    private Downcall(String name, FunctionDescriptor descriptor, boolean captureErrno, Linker.Option... options) {
        this.name = name;
        this.descriptor = descriptor;
        this.captureErrno = captureErrno;
        this.options = options;
    }

    /** A function whose handle takes the errno capture segment as its first argument. */
    static Downcall withErrno(String name, FunctionDescriptor descriptor, Linker.Option... options) {
        return new Downcall(name, descriptor, true, options);
    }

    static Downcall plain(String name, FunctionDescriptor descriptor) {
        return new Downcall(name, descriptor, false);
    }

    MethodHandle handle() {
        MethodHandle h = handle;
        if (h == null) {
            h = captureErrno ? LibC.withErrno(name, descriptor, options) : LibC.plain(name, descriptor);
            handle = h;
        }
        return h;
    }
}
