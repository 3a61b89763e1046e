package runtime.api;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

import runtime.api.plan.SetupOp;

/**
 * What strata gives a driver's {@code probe}: facts about the caller and a way to try setup operations
 * for real, in a throwaway container of the same kind strata would start (same user and mount
 * namespaces, same id mapping). Trying is the only honest probe: kernel config, LSMs and sysctls
 * decide more than version numbers do.
 */
public interface ProbeContext {
    /** True when strata runs without root on the host and containers live in a user namespace. */
    boolean rootless();

    /** An empty directory owned by the caller, removed after the probe. */
    Path scratchDirectory();

    /**
     * Runs {@code ops} in a fresh user (when rootless) and mount namespace and reports the first
     * failure as one line ({@code "mount overlay on /x: Invalid argument"}), or empty when all succeeded.
     */
    Optional<String> tryInContainer(List<SetupOp> ops);
}
