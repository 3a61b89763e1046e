package runtime.api.sys;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
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

    // These return an error number rather than setting errno; the captured errno is not read.
    private static final Downcall SPAWN = Downcall.of("posix_spawn");
    private static final Downcall FA_INIT = Downcall.of("posix_spawn_file_actions_init");
    private static final Downcall FA_DESTROY = Downcall.of("posix_spawn_file_actions_destroy");
    private static final Downcall FA_DUP2 = Downcall.of("posix_spawn_file_actions_adddup2");
    private static final Downcall FA_CLOSE = Downcall.of("posix_spawn_file_actions_addclose");

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
            MemorySegment state = LibC.captureState(arena);
            MemorySegment actions = arena.allocate(FILE_ACTIONS_SIZE, 16);
            long fa = actions.address();
            check("posix_spawn_file_actions_init", (int) FA_INIT.call(state, fa));
            try {
                // The child performs the dup2s in order, so a source that is also another entry's target
                // (file fd 4 -> 1 while the status pipe goes -> 4) could be overwritten first. Park every
                // source above all numbers involved, then move each to its target, then close the parking.
                // Without such a clash (the usual case) each source goes straight to its target.
                if (java.util.Collections.disjoint(fdMap.keySet(), fdMap.values())) {
                    for (Map.Entry<Integer, Integer> e : fdMap.entrySet()) {
                        check("posix_spawn_file_actions_adddup2", (int) FA_DUP2.call(state, fa, e.getValue(), e.getKey()));
                    }
                    return start(arena, state, program, fa, argv, envp);
                }
                int park = 0;
                for (Map.Entry<Integer, Integer> e : fdMap.entrySet()) park = Math.max(park, Math.max(e.getKey(), e.getValue()));
                park++;
                List<Map.Entry<Integer, Integer>> entries = List.copyOf(fdMap.entrySet());
                for (int i = 0; i < entries.size(); i++) {
                    check("posix_spawn_file_actions_adddup2",
                            (int) FA_DUP2.call(state, fa, entries.get(i).getValue(), park + i));
                }
                for (int i = 0; i < entries.size(); i++) {
                    check("posix_spawn_file_actions_adddup2",
                            (int) FA_DUP2.call(state, fa, park + i, entries.get(i).getKey()));
                    check("posix_spawn_file_actions_addclose", (int) FA_CLOSE.call(state, fa, park + i));
                }
                return start(arena, state, program, fa, argv, envp);
            } finally {
                FA_DESTROY.call(state, fa);
            }
        }
    }

    private static long start(Arena arena, MemorySegment state, String program, long actions, List<String> argv, List<String> envp)
            throws ErrnoException {
        MemorySegment pid = arena.allocate(JAVA_INT);
        int rc = (int) SPAWN.call(state, pid.address(), arena.allocateFrom(program).address(), actions, 0,
                strings(arena, argv).address(), strings(arena, envp).address());
        if (rc != 0) {
            throw new ErrnoException("start " + program, rc);
        }
        return pid.get(JAVA_INT, 0);
    }

    private static void check(String what, int rc) throws ErrnoException {
        if (rc != 0) throw new ErrnoException(what, rc);
    }

    /**
     * A NULL-terminated {@code char *[]}, filled by one bulk copy of the addresses: storing them one by one
     * through the ADDRESS layout would build its var handle, milliseconds on a cold start (pointers are
     * 64-bit on every architecture strata supports).
     */
    private static MemorySegment strings(Arena arena, List<String> values) {
        long[] addresses = new long[values.size() + 1];
        for (int i = 0; i < values.size(); i++) addresses[i] = arena.allocateFrom(values.get(i)).address();
        MemorySegment array = arena.allocate(ADDRESS, addresses.length);
        MemorySegment.copy(addresses, 0, array, JAVA_LONG, 0, addresses.length);
        return array;
    }
}
