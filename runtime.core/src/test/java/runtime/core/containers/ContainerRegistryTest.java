package runtime.core.containers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Optional;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ContainerRegistryTest {
    @Test
    void timestampsAreIsoInstantsOfOneLengthThatSortAsText() {
        for (Instant t : List.of(Instant.parse("2026-12-02T16:50:16.123456789Z"), Instant.parse("2026-01-01T00:00:00Z"),
                Instant.parse("1969-12-31T23:59:59.999Z"), Instant.parse("2024-02-29T12:05:09.007Z"), Instant.now())) {
            String text = ContainerRegistry.timestamp(t);
            assertEquals(24, text.length(), text);
            assertEquals(t.truncatedTo(ChronoUnit.MILLIS), Instant.parse(text), text);
        }
        assertEquals("2026-01-01T00:00:00.000Z", ContainerRegistry.timestamp(Instant.parse("2026-01-01T00:00:00Z")));
        Instant a = Instant.parse("2026-12-02T16:50:16Z");
        Instant b = a.plusMillis(5);
        assertTrue(ContainerRegistry.timestamp(a).compareTo(ContainerRegistry.timestamp(b)) < 0);
    }

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
