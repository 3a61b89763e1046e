package runtime.api.sys;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.Map;

/**
 * {@code posix_spawn(3)}: starts a program with one exec and no Java in between (ProcessBuilder goes
 * through jspawnhelper, which costs a second exec). glibc implements it with {@code clone(CLONE_VM |
 * CLONE_VFORK)}, which is safe from a multithreaded JVM because the child only runs libc code.
 */
public final class Spawn {
    // Generous size for glibc's opaque posix_spawn_file_actions_t (80 bytes on x86_64 and aarch64).
    private static final long FILE_ACTIONS_SIZE = 256;

    private static final Downcall SPAWN = Downcall.plain("posix_spawn",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS));
    private static final Downcall FA_INIT = Downcall.plain("posix_spawn_file_actions_init", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    private static final Downcall FA_DESTROY = Downcall.plain("posix_spawn_file_actions_destroy", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    private static final Downcall FA_DUP2 = Downcall.plain("posix_spawn_file_actions_adddup2", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT));
    private static final Downcall FA_CLOSE = Downcall.plain("posix_spawn_file_actions_addclose", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));

    private Spawn() {}

    /**
     * Starts {@code program} with {@code argv} and {@code envp}. {@code fdMap} maps target descriptor
     * numbers in the child to descriptors of this process ({@code 3 -> planReadEnd}); 0, 1 and 2 are
     * inherited unless mapped. The child inherits the calling thread's signal mask and the JVM's ignored
     * signals: the program must reset them (strata-helper does, first thing). Returns the child's pid.
     */
    public static long spawn(String program, List<String> argv, List<String> envp, Map<Integer, Integer> fdMap)
            throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment actions = arena.allocate(FILE_ACTIONS_SIZE, 16);
            check("posix_spawn_file_actions_init", (int) FA_INIT.handle().invokeExact(actions));
            try {
                // The child performs the dup2s in order, so a source that is also another entry's target
                // (file fd 4 -> 1 while the status pipe goes -> 4) could be overwritten first. Park every
                // source above all numbers involved, then move each to its target, then close the parking.
                // Without such a clash (the usual case) each source goes straight to its target, which
                // leaves one libc function fewer to link on a cold start.
                if (java.util.Collections.disjoint(fdMap.keySet(), fdMap.values())) {
                    for (Map.Entry<Integer, Integer> e : fdMap.entrySet()) {
                        check("posix_spawn_file_actions_adddup2", (int) FA_DUP2.handle().invokeExact(actions, (int) e.getValue(), (int) e.getKey()));
                    }
                    return start(arena, program, actions, argv, envp);
                }
                int park = 0;
                for (Map.Entry<Integer, Integer> e : fdMap.entrySet()) park = Math.max(park, Math.max(e.getKey(), e.getValue()));
                park++;
                List<Map.Entry<Integer, Integer>> entries = List.copyOf(fdMap.entrySet());
                for (int i = 0; i < entries.size(); i++) {
                    check("posix_spawn_file_actions_adddup2",
                            (int) FA_DUP2.handle().invokeExact(actions, (int) entries.get(i).getValue(), park + i));
                }
                for (int i = 0; i < entries.size(); i++) {
                    check("posix_spawn_file_actions_adddup2",
                            (int) FA_DUP2.handle().invokeExact(actions, park + i, (int) entries.get(i).getKey()));
                    check("posix_spawn_file_actions_addclose", (int) FA_CLOSE.handle().invokeExact(actions, park + i));
                }
                return start(arena, program, actions, argv, envp);
            } finally {
                int ignored = (int) FA_DESTROY.handle().invokeExact(actions);
            }
        } catch (ErrnoException e) {
            throw e;
        } catch (Throwable t) {
            throw LibC.rethrow(t);
        }
    }

    private static long start(Arena arena, String program, MemorySegment actions, List<String> argv, List<String> envp)
            throws Throwable {
        MemorySegment pid = arena.allocate(JAVA_INT);
        int rc = (int) SPAWN.handle().invokeExact(pid, arena.allocateFrom(program), actions, MemorySegment.NULL,
                strings(arena, argv), strings(arena, envp));
        if (rc != 0) {
            throw new ErrnoException("start " + program, rc);
        }
        return pid.get(JAVA_INT, 0);
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
