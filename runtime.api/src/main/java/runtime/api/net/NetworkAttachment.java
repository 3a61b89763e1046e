package runtime.api.net;

import java.util.List;

import runtime.api.plan.SetupOp;

/**
 * One container's network, from just before its namespaces exist until after it ended.
 */
public interface NetworkAttachment extends AutoCloseable {
    /** {@link runtime.api.plan.Namespaces#NET} for a private network namespace, 0 to share the caller's. */
    int namespaces();

    /**
     * For networks whose namespaces belong to a user namespace strata already made (a named network's
     * holder process): the pid whose user namespace a rootless container must join, so that its network
     * namespace can be wired to the network's. Empty for the usual new user namespace.
     */
    default java.util.OptionalLong userNamespaceOf() {
        return java.util.OptionalLong.empty();
    }

    /** Operations run inside the container before exec (after the namespaces exist). */
    default List<SetupOp> setupOps() {
        return List.of();
    }

    /**
     * Called once the container's namespaces exist and before its command runs, with the pid of a
     * process inside them (for tools like slirp4netns that attach to {@code /proc/PID/ns/net}).
     * When this returns true, the container's plan contains a {@link SetupOp.SyncWithParent} step.
     */
    default boolean wantsStartedCallback() {
        return false;
    }

    default void started(long pid) {}

    @Override
    default void close() {}
}
