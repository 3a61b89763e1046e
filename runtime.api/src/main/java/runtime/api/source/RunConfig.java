package runtime.api.source;

import java.util.List;
import java.util.Optional;

/**
 * How an imported image wants to be run (an OCI image config's Env, WorkingDir, Entrypoint, Cmd, User).
 *
 * @param env NAME=VALUE strings
 */
public record RunConfig(List<String> env, Optional<String> workdir, List<String> entrypoint, List<String> cmd,
                        Optional<String> user) {
    public static final RunConfig NONE = new RunConfig(List.of(), Optional.empty(), List.of(), List.of(), Optional.empty());

    public RunConfig {
        env = List.copyOf(env);
        entrypoint = List.copyOf(entrypoint);
        cmd = List.copyOf(cmd);
    }
}
