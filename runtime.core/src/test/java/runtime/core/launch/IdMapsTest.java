package runtime.core.launch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import runtime.api.plan.IdMapping;

class IdMapsTest {
    @Test
    void rootNeedsNoUserNamespace() {
        IdMaps ids = IdMaps.forCaller(0, 0, "root", Map.of());
        assertEquals(IdMaps.Mode.ROOT, ids.mode());
        assertTrue(!ids.rootless());
    }

    @Test
    void singleMappingMakesTheCallerRoot() {
        IdMaps ids = IdMaps.forCaller(1000, 1001, "alice", Map.of("STRATA_IDMAP", "single"));
        assertEquals(IdMaps.Mode.SINGLE, ids.mode());
        assertEquals(List.of(new IdMapping(0, 1000, 1)), ids.uids());
        assertEquals(List.of(new IdMapping(0, 1001, 1)), ids.gids());
    }

    @Test
    void subordinateRangesAreFoundByNameOrUid(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("subuid"), "bob:100000:65536\n# comment\nbad line\n1000:300000:1000\n");
        assertEquals(new IdMapping(1, 100000, 65536), IdMaps.subordinate(file, "bob", 1001).orElseThrow());
        assertEquals(new IdMapping(1, 300000, 1000), IdMaps.subordinate(file, "alice", 1000).orElseThrow());
        assertTrue(IdMaps.subordinate(file, "carol", 1002).isEmpty());
    }
}
