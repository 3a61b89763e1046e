package runtime.core.launch;

import java.util.List;
import java.util.Map;

import runtime.api.sys.ErrnoException;
import runtime.api.sys.Posix;
import runtime.api.sys.Spawn;
import runtime.api.sys.WaitStatus;

/**
 * Who creates the helper process of a container. In a plain JVM it is this process ({@link #LOCAL},
 * posix_spawn). Through the per-user server it is the caller's native front, so the container stays the
 * caller's descendant (session, process group, controlling terminal, cgroup, rlimits) while the server
 * plans it and follows its reports: the server's implementation asks the front over its socket.
 *
 * <p>The spawner of an invocation is per thread ({@link #current()}, inherited by threads the
 * invocation starts), set by whoever runs the invocation ({@link #use}).
 */
public interface Spawner {
    /**
     * Starts {@code program} with {@code argv} and {@code env}; {@code fds} maps descriptor numbers in the
     * child to descriptors of this process (the caller keeps its own); unmapped 0, 1, 2 are the spawning
     * process's own.
     */
    Child spawn(String program, List<String> argv, List<String> env, Map<Integer, Integer> fds) throws ErrnoException;

    /** A spawned process: its host pid, how to wait for it and signal it. */
    interface Child {
        long pid();

        /** Blocks until the process ends; its wait status. */
        WaitStatus waitFor() throws ErrnoException;

        /** Sends {@code signal}; false when it is gone. */
        default boolean signal(int signal) throws ErrnoException {
            return Posix.kill(pid(), signal);
        }
    }

    /** This process spawns, with posix_spawn. */
    Spawner LOCAL = (program, argv, env, fds) -> {
        long pid = Spawn.spawn(program, argv, env, fds);
        return new Child() {
            @Override
            public long pid() {
                return pid;
            }

            @Override
            public WaitStatus waitFor() throws ErrnoException {
                return new WaitStatus(Posix.waitpid(pid));
            }
        };
    };

    /** The spawner of the invocation this thread works for: {@link #LOCAL} unless one was set. */
    static Spawner current() {
        Spawner s = Current.SPAWNER.get();
        return s == null ? LOCAL : s;
    }

    /** Makes {@code spawner} this thread's (and its future threads') until {@link #reset()}. */
    static void use(Spawner spawner) {
        Current.SPAWNER.set(spawner);
    }

    static void reset() {
        Current.SPAWNER.remove();
    }

    /** Holder of the per-thread choice (interfaces cannot have private fields). */
    final class Current {
        private static final InheritableThreadLocal<Spawner> SPAWNER = new InheritableThreadLocal<>();

        private Current() {}
    }
}
