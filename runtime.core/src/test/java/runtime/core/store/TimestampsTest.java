package runtime.core.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;

import org.junit.jupiter.api.Test;

class TimestampsTest {
    @Test
    void areIsoInstantsOfOneLengthThatSortAsText() {
        for (Instant t : List.of(Instant.parse("2026-12-02T16:50:16.123456789Z"), Instant.parse("2026-01-01T00:00:00Z"),
                Instant.parse("1969-12-31T23:59:59.999Z"), Instant.parse("2024-02-29T12:05:09.007Z"), Instant.now())) {
            String text = Timestamps.of(t);
            assertEquals(24, text.length(), text);
            assertEquals(t.truncatedTo(ChronoUnit.MILLIS), Instant.parse(text), text);
        }
        assertEquals("2026-01-01T00:00:00.000Z", Timestamps.of(Instant.parse("2026-01-01T00:00:00Z")));
        Instant a = Instant.parse("2026-12-02T16:50:16Z");
        Instant b = a.plusMillis(5);
        assertTrue(Timestamps.of(a).compareTo(Timestamps.of(b)) < 0);
    }
}
