package runtime.core.oci;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Whether this process runs in a user namespace other than the host's (rootless podman runs its runtime in one). */
final class UserNamespaces {
    private UserNamespaces() {}

    static boolean inUserNamespace() {
        try {
            String map = Files.readString(Path.of("/proc/self/uid_map")).trim();
            return !map.matches("0\\s+0\\s+4294967295");
        } catch (IOException e) {
            return false;
        }
    }

    /** Real root on the host: cgroups and other host-wide changes are ours to make. */
    static boolean hostRoot() {
        return runtime.api.sys.Posix.geteuid() == 0 && !inUserNamespace();
    }
}
