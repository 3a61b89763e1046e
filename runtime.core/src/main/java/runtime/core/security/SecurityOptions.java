package runtime.core.security;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

import runtime.core.launch.ContainerPlans;

/** Builds an isolated container's {@link ContainerPlans.Security} from user-facing settings. */
public final class SecurityOptions {
    private SecurityOptions() {}

    /**
     * @param seccomp "default" (strata's built-in profile), "unconfined", or a Docker/OCI JSON profile file
     */
    public static ContainerPlans.Security of(String seccomp, List<String> capAdd, List<String> capDrop) throws IOException {
        Optional<byte[]> program = Optional.empty();
        if (!seccomp.equals("unconfined")) {
            SyscallTable table = SyscallTable.host();
            SeccompProfile profile = seccomp.equals("default") ? SeccompProfile.defaults()
                    : SeccompProfile.read(Path.of(seccomp), table.arch());
            program = Optional.of(SeccompCompiler.compile(profile, table));
        }
        return new ContainerPlans.Security(true, program, Optional.of(Capabilities.keep(capAdd, capDrop)));
    }
}
