package runtime.core.oci;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

import runtime.api.plan.MountFlags;

class MountOptionsTest {
    @Test
    void podmanBindOptionsBecomeFlagsAndPropagation() {
        MountOptions o = MountOptions.parse("bind", List.of("bind", "rprivate", "nosuid", "noexec", "nodev", "ro"));
        assertTrue(o.bind());
        assertFalse(o.recursive());
        assertEquals(MountFlags.MS_NOSUID | MountFlags.MS_NOEXEC | MountFlags.MS_NODEV | MountFlags.MS_RDONLY, o.flags());
        assertEquals(MountFlags.MS_PRIVATE | MountFlags.MS_REC, o.propagation());
        assertNull(o.data());
        assertTrue(o.readOnly());
    }

    @Test
    void filesystemOptionsGoToData() {
        MountOptions o = MountOptions.parse("devpts", List.of("nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"));
        assertFalse(o.bind());
        assertEquals(MountFlags.MS_NOSUID | MountFlags.MS_NOEXEC, o.flags());
        assertEquals("newinstance,ptmxmode=0666,mode=0620,gid=5", o.data());
    }

    @Test
    void rbindOnAnyTypeIsARecursiveBindAndDefaultsChangeNothing() {
        MountOptions o = MountOptions.parse("none", List.of("rbind", "rw", "exec", "suid"));
        assertTrue(o.bind());
        assertTrue(o.recursive());
        assertEquals(0, o.flags());
        assertNull(o.data());
    }
}
