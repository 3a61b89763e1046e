package runtime.api.sys;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * Calls libc functions for the typed binding classes of this package, all through one linked shape.
 *
 * <p>Why one shape: on a cold JVM the first downcall link costs ~30 ms and every further function shape
 * ~5-8 ms (the linker spins method handles and a stub class, and the AOT cache does not keep them), while
 * a second function of an already linked shape costs ~0.2 ms. A cold {@code strata run} is dominated by
 * that, so every libc function strata calls goes through {@code long f(long, long, long, long, long, long)}:
 * the function's address is an argument of the one handle, arguments and results are machine words
 * (pointers as addresses, ints widened; a function that returns an int has its result narrowed by the
 * caller), passed in registers on the supported ABIs (x86_64 System V, aarch64 and riscv64 Linux), where
 * a function ignores the registers of arguments it does not have.
 *
 * <p>The shape is not declared variadic (that costs another ~10 ms to link). The one variadic function
 * called through it is {@code syscall}: the variadic convention differs only on x86_64, in {@code %al}
 * (the count of vector registers used), which glibc's {@code syscall}, written in assembly, never reads;
 * on aarch64 and riscv64 Linux word-sized variadic arguments travel exactly as named ones. Other variadic
 * functions ({@code open}, {@code ioctl}, {@code fcntl}) are made as system calls instead.
 *
 * <p>Every call captures {@code errno} right after it returns (the JVM may clobber it before Java code could
 * read it).
 */
final class LibC {
    static final Linker LINKER = Linker.nativeLinker();
    private static final SymbolLookup LOOKUP = LINKER.defaultLookup();
    static final StructLayout CAPTURE_LAYOUT = Linker.Option.captureStateLayout();
    // An offset, not a VarHandle: building a layout path's VarHandle costs milliseconds on a cold start.
    private static final long ERRNO_OFFSET = CAPTURE_LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement("errno"));
    /** Word arguments per call; all are passed in registers on the supported ABIs. */
    static final int MAX_ARGUMENTS = 6;

    private LibC() {}

    /** The linked shape, in a class of its own: linked by the first call (or {@link #link}), not by loading LibC. */
    private static final class Shape {
        static final MethodHandle CALL = LINKER.downcallHandle(
                FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG),
                Linker.Option.captureCallState("errno"));

        static {
            linked = true;
        }
    }

    /** Set once the shape is linked; until then a first call has time for {@link #prepareMemoryAccess}. */
    private static volatile boolean linked;

    /** Links the shape now (e.g. on a background thread while a cold command does other work). */
    static void link() {
        MethodHandle ignored = Shape.CALL;
    }

    /** Calls {@code function} with six word arguments (unused ones 0); errno lands in {@code state}. */
    static long call(MemorySegment function, MemorySegment state, long a0, long a1, long a2, long a3, long a4, long a5) {
        if (!linked) prepareMemoryAccess();
        try {
            return (long) Shape.CALL.invokeExact(function, state, a0, a1, a2, a3, a4, a5);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /**
     * The memory access around every call (a confined arena, C strings and byte arrays copied in, int and long
     * reads and writes) has a first-use cost of its own: ~8 ms of JDK classes and spun method handles on a cold
     * start. The first call does it before it waits for the link (Posix.linkAhead runs that on another
     * thread), so it overlaps the link instead of following it.
     */
    private static void prepareMemoryAccess() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment words = arena.allocate(JAVA_LONG, 2);
            MemorySegment.copy(new long[] {1, 2}, 0, words, JAVA_LONG, 0, 2);
            words.set(ValueLayout.JAVA_INT, 0, errno(captureState(arena)));
            words.setAtIndex(ValueLayout.JAVA_INT, 1, arena.allocateFrom(ValueLayout.JAVA_BYTE, new byte[] {1}).get(ValueLayout.JAVA_BYTE, 0));
            words.set(JAVA_LONG, 8, arena.allocateFrom("").getString(0).length() + words.get(JAVA_LONG, 0));
        }
    }

    static MemorySegment find(String name) {
        return LOOKUP.find(name).orElseThrow(() -> new UnsatisfiedLinkError("libc has no " + name));
    }

    static MemorySegment captureState(Arena arena) {
        return arena.allocate(CAPTURE_LAYOUT);
    }

    static int errno(MemorySegment captureState) {
        return captureState.get(ValueLayout.JAVA_INT, ERRNO_OFFSET);
    }

    /** Rethrows what a method handle threw: bindings declare no checked exceptions of their own. */
    static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException r) return r;
        if (t instanceof Error e) throw e;
        return new IllegalStateException(t);
    }
}
