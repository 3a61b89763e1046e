package runtime.core.containers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ContainerRegistryTest {
    @Test
    void aStartedContainerIsListedWithWhatWasRecorded(@TempDir Path runtime) throws Exception {
        ContainerRegistry registry = new ContainerRegistry(runtime);
        ContainerRecord created = registry.create(Optional.of("web"), "abc123", "slirp4netns", List.of("sh", "-c", "echo 'a=b' \\ # x"));
        ContainerRecord other = registry.create(Optional.empty(), "abc123", "none", List.of("true"));
        assertNotEquals(created.id(), other.id());
        assertTrue(created.id().matches("[0-9a-f]{12}"), created.id());
        long self = ProcessHandle.current().pid();
        registry.started(created, self);

        ContainerRecord listed = registry.find("web").orElseThrow();
        assertEquals(created.id(), listed.id());
        assertEquals("abc123", listed.image());
        assertEquals("slirp4netns", listed.network());
        assertEquals(self, listed.pid());
        assertEquals(created.created(), listed.created());
        assertEquals(created.command(), listed.command());
    }
}
