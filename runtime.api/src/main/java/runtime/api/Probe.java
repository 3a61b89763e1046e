package runtime.api;

import java.util.Objects;

/**
 * Whether a driver works on this machine, for this user, and if not, why (one line a user can act on).
 */
public record Probe(boolean usable, String reason) {
    public Probe {
        Objects.requireNonNull(reason, "reason");
    }

    public static Probe usable(String how) {
        return new Probe(true, how);
    }

    public static Probe unusable(String why) {
        return new Probe(false, why);
    }
}
