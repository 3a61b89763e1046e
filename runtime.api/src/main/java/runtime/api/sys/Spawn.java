package runtime.api.sys;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.util.List;
import java.util.Map;

/**
 * {@code posix_spawn(3)}: starts a program with one exec and no Java in between (ProcessBuilder goes
 * through jspawnhelper, which costs a second exec). glibc implements it with {@code clone(CLONE_VM |
 * CLONE_VFORK)}, which is safe from a multithreaded JVM because the child only runs libc code.
 */
public final class Spawn {
    // glibc's flags for posix_spawnattr_setflags.
    private static final short POSIX_SPAWN_SETSIGDEF = 0x04;
    private static final short POSIX_SPAWN_SETSIGMASK = 0x08;
    // Generous sizes for opaque glibc structs (80, 336 and 128 bytes on x86_64 and aarch64).
    private static final long FILE_ACTIONS_SIZE = 256;
    private static final long ATTR_SIZE = 512;
    private static final long SIGSET_SIZE = 128;

    private static final MethodHandle SPAWN = LibC.plain("posix_spawn",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS));
    private static final MethodHandle FA_INIT = LibC.plain("posix_spawn_file_actions_init", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    private static final MethodHandle FA_DESTROY = LibC.plain("posix_spawn_file_actions_destroy", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    private static final MethodHandle FA_DUP2 = LibC.plain("posix_spawn_file_actions_adddup2", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT));
    private static final MethodHandle ATTR_INIT = LibC.plain("posix_spawnattr_init", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    private static final MethodHandle ATTR_DESTROY = LibC.plain("posix_spawnattr_destroy", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    private static final MethodHandle ATTR_SETFLAGS = LibC.plain("posix_spawnattr_setflags", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_SHORT));
    private static final MethodHandle ATTR_SETSIGMASK = LibC.plain("posix_spawnattr_setsigmask", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
    private static final MethodHandle ATTR_SETSIGDEFAULT = LibC.plain("posix_spawnattr_setsigdefault", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
    private static final MethodHandle SIGEMPTYSET = LibC.plain("sigemptyset", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    private static final MethodHandle SIGFILLSET = LibC.plain("sigfillset", FunctionDescriptor.of(JAVA_INT, ADDRESS));

    private Spawn() {}

    /**
     * Starts {@code program} with {@code argv} and {@code envp}. {@code fdMap} maps target descriptor
     * numbers in the child to descriptors of this process ({@code 3 -> planReadEnd}); 0, 1 and 2 are
     * inherited unless mapped. The child starts with no blocked signals and default dispositions, not
     * the JVM's. Returns the child's pid.
     */
    public static long spawn(String program, List<String> argv, List<String> envp, Map<Integer, Integer> fdMap)
            throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment actions = arena.allocate(FILE_ACTIONS_SIZE, 16);
            MemorySegment attr = arena.allocate(ATTR_SIZE, 16);
            check("posix_spawn_file_actions_init", (int) FA_INIT.invokeExact(actions));
            check("posix_spawnattr_init", (int) ATTR_INIT.invokeExact(attr));
            try {
                for (Map.Entry<Integer, Integer> e : fdMap.entrySet()) {
                    check("posix_spawn_file_actions_adddup2",
                            (int) FA_DUP2.invokeExact(actions, (int) e.getValue(), (int) e.getKey()));
                }
                MemorySegment empty = arena.allocate(SIGSET_SIZE, 8);
                MemorySegment all = arena.allocate(SIGSET_SIZE, 8);
                int ignored = (int) SIGEMPTYSET.invokeExact(empty);
                ignored = (int) SIGFILLSET.invokeExact(all);
                check("posix_spawnattr_setsigmask", (int) ATTR_SETSIGMASK.invokeExact(attr, empty));
                check("posix_spawnattr_setsigdefault", (int) ATTR_SETSIGDEFAULT.invokeExact(attr, all));
                check("posix_spawnattr_setflags",
                        (int) ATTR_SETFLAGS.invokeExact(attr, (short) (POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK)));
                MemorySegment pid = arena.allocate(JAVA_INT);
                int rc = (int) SPAWN.invokeExact(pid, arena.allocateFrom(program), actions, attr,
                        strings(arena, argv), strings(arena, envp));
                if (rc != 0) {
                    throw new ErrnoException("start " + program, rc);
                }
                return pid.get(JAVA_INT, 0);
            } finally {
                int ignored = (int) FA_DESTROY.invokeExact(actions);
                ignored = (int) ATTR_DESTROY.invokeExact(attr);
            }
        } catch (ErrnoException e) {
            throw e;
        } catch (Throwable t) {
            throw LibC.rethrow(t);
        }
    }

    private static void check(String what, int rc) throws ErrnoException {
        if (rc != 0) throw new ErrnoException(what, rc);
    }

    /** A NULL-terminated {@code char *[]}. */
    private static MemorySegment strings(Arena arena, List<String> values) {
        MemorySegment array = arena.allocate(ADDRESS, values.size() + 1L);
        for (int i = 0; i < values.size(); i++) {
            array.setAtIndex(ADDRESS, i, arena.allocateFrom(values.get(i)));
        }
        array.setAtIndex(ADDRESS, values.size(), MemorySegment.NULL);
        return array;
    }
}
