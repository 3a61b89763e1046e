package runtime.api.sys;

import java.lang.foreign.MemorySegment;

/**
 * A libc function by name, looked up on its first call and called through {@link LibC}'s one linked
 * shape: word arguments (pointers as {@link MemorySegment#address()}, ints widened), a word result.
 */
final class Downcall {
    private final String name;
    private volatile MemorySegment address;

    private Downcall(String name) {
        this.name = name;
    }

    static Downcall of(String name) {
        return new Downcall(name);
    }

    /** Calls the function with up to six word arguments; errno lands in {@code state}. */
    long call(MemorySegment state, long... args) {
        if (args.length > LibC.MAX_ARGUMENTS) throw new IllegalArgumentException(name + ": more than " + LibC.MAX_ARGUMENTS + " arguments");
        long[] a = args.length == LibC.MAX_ARGUMENTS ? args : java.util.Arrays.copyOf(args, LibC.MAX_ARGUMENTS);
        return LibC.call(address(), state, a[0], a[1], a[2], a[3], a[4], a[5]);
    }

    private MemorySegment address() {
        MemorySegment a = address;
        if (a == null) {
            a = LibC.find(name);
            address = a;
        }
        return a;
    }
}
