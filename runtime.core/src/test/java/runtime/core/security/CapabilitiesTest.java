package runtime.core.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.IntStream;

import org.junit.jupiter.api.Test;

/** The kept set as podman merges --cap-add and --cap-drop (containers/common's rules), by capability number. */
class CapabilitiesTest {
    private static final int CHOWN = 0, KILL = 5, NET_BIND_SERVICE = 10, NET_ADMIN = 12, NET_RAW = 13, SYS_ADMIN = 21;
    private static final int ALL = 41; // CHOWN .. CHECKPOINT_RESTORE

    private static Set<Integer> keep(List<String> add, List<String> drop) {
        return new TreeSet<>(Capabilities.keep(add, drop));
    }

    private static Set<Integer> defaults() {
        return keep(List.of(), List.of());
    }

    @Test
    void theDefaultIsPodmansElevenAndNoSysAdmin() {
        assertEquals(Set.of(0, 1, 3, 4, 5, 6, 7, 8, 10, 18, 31), defaults());
    }

    @Test
    void namesAreReadInEverySpelling() {
        assertEquals(NET_ADMIN, Capabilities.number("CAP_NET_ADMIN"));
        assertEquals(NET_ADMIN, Capabilities.number("net_admin"));
        assertEquals(NET_ADMIN, Capabilities.number("Cap_Net_Admin"));
        assertEquals(40, Capabilities.number("CHECKPOINT_RESTORE"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Capabilities.number("NET_ADMINN"));
        assertEquals("unknown capability NET_ADMINN", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Capabilities.check("CAP_"));
        Capabilities.check("all");
    }

    @Test
    void addAndDropChangeTheDefault() {
        Set<Integer> expected = new TreeSet<>(defaults());
        expected.add(SYS_ADMIN);
        expected.remove(KILL);
        assertEquals(expected, keep(List.of("SYS_ADMIN"), List.of("CAP_KILL")));
        assertEquals(defaults(), keep(List.of("CHOWN"), List.of()), "adding a kept capability adds nothing");
        assertEquals(Capabilities.keep(List.of("SYS_ADMIN", "sys_admin"), List.of()).size(), defaults().size() + 1);
    }

    @Test
    void dropAllKeepsOnlyWhatIsAdded() {
        assertEquals(Set.of(), keep(List.of(), List.of("ALL")));
        assertEquals(Set.of(NET_BIND_SERVICE, CHOWN), keep(List.of("NET_BIND_SERVICE", "chown"), List.of("all")));
    }

    @Test
    void addAllKeepsEverythingButWhatIsDropped() {
        Set<Integer> all = new TreeSet<>(IntStream.range(0, ALL).boxed().toList());
        assertEquals(all, keep(List.of("ALL"), List.of()));
        all.remove(NET_RAW);
        all.remove(SYS_ADMIN);
        // The drops hold whichever order the options came in (podman's reading; before, ALL undid them).
        assertEquals(all, keep(List.of("ALL"), List.of("NET_RAW", "CAP_SYS_ADMIN")));
        assertEquals(all, keep(List.of("NET_ADMIN", "ALL"), List.of("NET_RAW", "SYS_ADMIN")));
    }

    @Test
    void contradictionsAreRefusedWithTheCapabilityNamed() {
        assertEquals("capability net_raw is both added and dropped; keep one of the two",
                assertThrows(IllegalArgumentException.class, () -> Capabilities.keep(List.of("net_raw"), List.of("CAP_NET_RAW")))
                        .getMessage());
        assertEquals("capabilities: ALL is both added and dropped; keep one of the two",
                assertThrows(IllegalArgumentException.class, () -> Capabilities.keep(List.of("ALL"), List.of("all"))).getMessage());
        assertEquals("unknown capability SYS_ADMIM",
                assertThrows(IllegalArgumentException.class, () -> Capabilities.keep(List.of(), List.of("SYS_ADMIM"))).getMessage());
    }
}
