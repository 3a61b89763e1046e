package runtime.core.launch;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import runtime.api.ProbeContext;
import runtime.api.net.NetworkAttachment;
import runtime.api.plan.Namespaces;
import runtime.api.plan.SetupOp;
import runtime.api.sys.ErrnoException;
import runtime.core.store.TmpDirectories;
import runtime.core.store.Trees;

/**
 * A {@link ProbeContext} that tries operations in a real throwaway container: the same namespaces and
 * id maps a container would get, ending in {@code /bin/true} on the host filesystem.
 */
public final class TrialProbeContext implements ProbeContext {
    private final Launcher launcher;
    private final IdMaps ids;
    private final Path scratchParent;
    private Path scratch;

    public TrialProbeContext(Launcher launcher, IdMaps ids, Path scratchParent) {
        this.launcher = launcher;
        this.ids = ids;
        this.scratchParent = scratchParent;
    }

    @Override
    public boolean rootless() {
        return ids.rootless();
    }

    @Override
    public synchronized Path scratchDirectory() {
        if (scratch == null) {
            try {
                // Locked while we use it, so a concurrent strata clean leaves it alone.
                scratch = TmpDirectories.create(scratchParent, "probe-");
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return scratch;
    }

    @Override
    public Optional<String> tryInContainer(List<SetupOp> ops) {
        List<SetupOp> plan = new ArrayList<>();
        plan.add(ContainerPlans.namespaces(ids, Namespaces.MOUNT));
        plan.add(ContainerPlans.PRIVATE_PROPAGATION);
        plan.addAll(ops);
        plan.add(new SetupOp.Exec(List.of("/bin/true"), List.of()));
        try {
            Container c = launcher.start(plan, NOTHING, new Timings());
            var status = c.waitFor();
            return status.exitCode() == 0 && status.exited() ? Optional.empty() : Optional.of("/bin/true failed");
        } catch (LaunchException e) {
            return Optional.of(e.getMessage());
        } catch (ErrnoException e) {
            return Optional.of(e.getMessage());
        }
    }

    /** Removes the scratch directory, if one was made. */
    public synchronized void close() {
        if (scratch != null) {
            try {
                Trees.deleteRecursively(scratch);
            } catch (IOException e) {
                // the store's clean removes leftovers
            }
            TmpDirectories.release(scratch);
            scratch = null;
        }
    }

    private static final NetworkAttachment NOTHING = () -> 0;
}
