package runtime.core.launch;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.OptionalLong;

import runtime.api.net.NetworkAttachment;
import runtime.api.plan.SetupOp;

/**
 * The host's side of {@link ContainerPlans.Isolation#userNamespaceAsRoot}: at the plan's sync step the
 * helper has made its user namespace, and root (here, in the parent namespace) writes its id maps. The
 * kernel lets only a process with CAP_SETUID in the parent namespace write a map of more than one id, so
 * the helper cannot do it from inside. The wrapped network's own callback, if any, runs at the same step.
 */
public final class UserNamespaceMaps implements NetworkAttachment {
    private final NetworkAttachment network;

    public UserNamespaceMaps(NetworkAttachment network) {
        this.network = network;
    }

    @Override
    public int namespaces() {
        return network.namespaces();
    }

    @Override
    public OptionalLong userNamespaceOf() {
        return network.userNamespaceOf();
    }

    @Override
    public List<SetupOp> setupOps() {
        return network.setupOps();
    }

    @Override
    public boolean wantsStartedCallback() {
        return true;
    }

    @Override
    public void started(long pid) {
        try {
            Files.writeString(Path.of("/proc/" + pid + "/uid_map"), ContainerPlans.IDENTITY_MAP);
            Files.writeString(Path.of("/proc/" + pid + "/gid_map"), ContainerPlans.IDENTITY_MAP);
        } catch (IOException e) {
            throw new IllegalStateException("cannot write the id maps of the container's user namespace: " + e.getMessage(), e);
        }
        if (network.wantsStartedCallback()) network.started(pid);
    }

    @Override
    public void close() {
        network.close();
    }
}
