package runtime.core.store;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;

class MountTableTest {
    @Test
    void parsesMountPointsTypesAndOverlayDirectories() {
        List<MountTable.Entry> entries = MountTable.parse(List.of(
                "22 1 0:21 / /proc rw,nosuid shared:5 - proc proc rw",
                "46 27 0:41 / /tmp/my\\040dir rw,relatime - overlay overlay rw,lowerdir=/d/layers/b/root:/d/layers/a/root,"
                        + "upperdir=/d/tmp/mount-1/data,workdir=/d/tmp/mount-1/work,uuid=on",
                "garbage line"));
        assertEquals(2, entries.size());
        assertEquals(Path.of("/proc"), entries.get(0).mountPoint());
        assertEquals("proc", entries.get(0).type());
        assertEquals(List.of(), entries.get(0).optionPaths());
        MountTable.Entry overlay = entries.get(1);
        assertEquals(Path.of("/tmp/my dir"), overlay.mountPoint());
        assertEquals("overlay", overlay.type());
        assertEquals(List.of(Path.of("/d/layers/b/root"), Path.of("/d/layers/a/root"), Path.of("/d/tmp/mount-1/data"),
                Path.of("/d/tmp/mount-1/work")), overlay.optionPaths());
    }

    @Test
    void readsThisProcesssTable() throws Exception {
        assertEquals(true, MountTable.current().stream().anyMatch(e -> e.mountPoint().equals(Path.of("/"))));
    }
}
