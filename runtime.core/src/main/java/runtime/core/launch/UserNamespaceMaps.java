package runtime.core.launch;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import runtime.api.net.NetworkAttachment;

/**
 * The host's side of {@link ContainerPlans.Isolation#userNamespaceAsRoot}: at the plan's sync step the
 * helper has made its user namespace, and root (here, in the parent namespace) writes its id maps. The
 * kernel lets only a process with CAP_SETUID in the parent namespace write a map of more than one id, so
 * the helper cannot do it from inside.
 */
public final class UserNamespaceMaps extends SyncHookAttachment {
    public UserNamespaceMaps(NetworkAttachment network) {
        super(network);
    }

    @Override
    protected void atSync(long pid) {
        try {
            Files.writeString(Path.of("/proc/" + pid + "/uid_map"), ContainerPlans.IDENTITY_MAP);
            Files.writeString(Path.of("/proc/" + pid + "/gid_map"), ContainerPlans.IDENTITY_MAP);
        } catch (IOException e) {
            throw new IllegalStateException("cannot write the id maps of the container's user namespace: " + e.getMessage(), e);
        }
    }
}
