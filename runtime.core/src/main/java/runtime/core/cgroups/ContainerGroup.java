package runtime.core.cgroups;

import java.io.IOException;

/**
 * A limited container's control group, whoever makes it: cgroupfs ({@link Cgroup}, strata writes the tree)
 * or systemd ({@link SystemdScope}, a transient scope). The container's process joins it at its sync step,
 * before the command runs; it is removed when the container has ended.
 */
public interface ContainerGroup {
    /** Moves {@code pid} (and so everything it starts) into the group. */
    void add(long pid) throws IOException;

    /** Removes the group once its processes have ended. */
    void remove();

    /**
     * The group for container {@code id}: a systemd scope when {@code systemd} (see
     * {@link SystemdScope#chosen}), else cgroupfs's groups, made now with the limits written.
     */
    static ContainerGroup create(String id, Limits limits, boolean systemd, boolean rootless) throws IOException {
        return systemd ? SystemdScope.of(id, rootless, limits) : Cgroup.create(id, limits);
    }
}
