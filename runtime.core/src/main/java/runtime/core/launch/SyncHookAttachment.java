package runtime.core.launch;

import java.util.List;
import java.util.OptionalLong;

import runtime.api.net.NetworkAttachment;
import runtime.api.plan.SetupOp;

/**
 * A network attachment that also does something of its own at the plan's sync step (the container's
 * namespaces exist, its command has not started), before the wrapped network's own callback, if any.
 * Everything else is the wrapped network's.
 */
public abstract class SyncHookAttachment implements NetworkAttachment {
    protected final NetworkAttachment network;

    protected SyncHookAttachment(NetworkAttachment network) {
        this.network = network;
    }

    /** What to do at the sync step, given the host pid of the process there. */
    protected abstract void atSync(long pid);

    @Override
    public final int namespaces() {
        return network.namespaces();
    }

    @Override
    public final OptionalLong userNamespaceOf() {
        return network.userNamespaceOf();
    }

    @Override
    public final List<SetupOp> setupOps() {
        return network.setupOps();
    }

    @Override
    public final boolean wantsStartedCallback() {
        return true;
    }

    @Override
    public final void started(long pid) {
        atSync(pid);
        if (network.wantsStartedCallback()) network.started(pid);
    }

    @Override
    public void close() {
        network.close();
    }
}
