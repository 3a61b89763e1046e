package runtime.api.source;

import java.util.List;
import java.util.Optional;

/**
 * How an imported image wants to be run (an OCI image config's Env, WorkingDir, Entrypoint, Cmd, User,
 * StopSignal).
 *
 * @param env NAME=VALUE strings
 * @param stopSignal the signal that asks the container to end (a name such as SIGUSR1, or a number), when not SIGTERM
 */
public record RunConfig(List<String> env, Optional<String> workdir, List<String> entrypoint, List<String> cmd,
                        Optional<String> user, Optional<String> stopSignal) {
    public static final RunConfig NONE = new RunConfig(List.of(), Optional.empty(), List.of(), List.of(), Optional.empty());

    /** Without a stop signal (a source's images that have none: SIGTERM). */
    public RunConfig(List<String> env, Optional<String> workdir, List<String> entrypoint, List<String> cmd, Optional<String> user) {
        this(env, workdir, entrypoint, cmd, user, Optional.empty());
    }

    public RunConfig {
        env = List.copyOf(env);
        entrypoint = List.copyOf(entrypoint);
        cmd = List.copyOf(cmd);
    }
}
