package runtime.core.security;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

import runtime.core.launch.ContainerPlans;

/** Builds an isolated container's {@link ContainerPlans.Security} from user-facing settings. */
public final class SecurityOptions {
    /** The built-in profile compiles to the same program every time: once per process is enough. */
    private static volatile byte[] defaultProgram;

    private SecurityOptions() {}

    private static byte[] defaultProgram() {
        byte[] p = defaultProgram;
        if (p == null) {
            p = SeccompCompiler.compile(SeccompProfile.defaults(), SyscallTable.host());
            defaultProgram = p;
        }
        return p;
    }

    /**
     * @param seccomp "default" (strata's built-in profile), "unconfined", or a Docker/OCI JSON profile file
     */
    public static ContainerPlans.Security of(String seccomp, List<String> capAdd, List<String> capDrop) throws IOException {
        Optional<byte[]> program = Optional.empty();
        if (!seccomp.equals("unconfined")) {
            if (seccomp.equals("default")) {
                program = Optional.of(defaultProgram());
            } else {
                SyscallTable table = SyscallTable.host();
                program = Optional.of(SeccompCompiler.compile(SeccompProfile.read(Path.of(seccomp), table.arch()), table));
            }
        }
        return new ContainerPlans.Security(true, program, Optional.of(Capabilities.keep(capAdd, capDrop)));
    }
}
