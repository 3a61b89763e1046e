package runtime.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import runtime.cli.Installation.Mode;
import runtime.cli.Installation.Result;

/** Rootless id mapping: the full /etc/subuid range through newuidmap, or the caller alone. */
class RootlessIdMapIT {
    static Installation strata;

    @BeforeAll
    static void install() throws Exception {
        strata = Installation.get();
    }

    @Test
    void fullSubordinateRangesLetRootChown() throws Exception {
        strata.assumeMode(Mode.ROOTLESS);
        Path data = strata.newStore(Mode.ROOTLESS);
        String id = strata.importBusybox(Mode.ROOTLESS, data);
        Result r = strata.strata(Mode.ROOTLESS, data, strata.home, Map.of("STRATA_IDMAP", "full"), null, "run", id, "sh", "-c",
                "wc -l < /proc/self/uid_map; touch /etc/f && chown 100:100 /etc/f && stat -c %u:%g /etc/f");
        assertEquals(0, r.exitCode(), r.err());
        assertEquals(List.of("2", "100:100"), r.out().lines().map(String::strip).toList());
    }

    @Test
    void singleMappingStillRunsAsRoot() throws Exception {
        strata.assumeMode(Mode.ROOTLESS);
        Path data = strata.newStore(Mode.ROOTLESS);
        String id = strata.importBusybox(Mode.ROOTLESS, data);
        Result r = strata.strata(Mode.ROOTLESS, data, strata.home, Map.of("STRATA_IDMAP", "single"), null, "run", id, "sh", "-c",
                "id -u; wc -l < /proc/self/uid_map; chown 100 /tmp 2>/dev/null || echo chown-refused");
        assertEquals(0, r.exitCode(), r.err());
        assertEquals(List.of("0", "1", "chown-refused"), r.out().lines().map(String::strip).toList());
        assertTrue(r.err().isEmpty(), r.err());
    }
}
