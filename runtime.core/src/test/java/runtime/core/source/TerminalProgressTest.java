package runtime.core.source;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;

/** A pull's progress on a terminal: bytes of the total, percent, rate, time left, then one summary line; nothing on a pipe. */
class TerminalProgressTest {
    private static final long MIB = 1 << 20;

    @Test
    void theLineShowsPercentRateAndTimeLeft() {
        var p = new StoreSourceContext.TerminalProgress(new PrintStream(new ByteArrayOutputStream()), true, "app:1 (2 of 3 layers)", 40 * MIB);
        assertEquals("app:1 (2 of 3 layers)  10.0 MiB / 40.0 MiB   25%  5.0 MiB/s  6.0 s left", p.line(10 * MIB, 40 * MIB, 2_000_000_000L));
        assertEquals("app:1 (2 of 3 layers)  40.0 MiB / 40.0 MiB  100%  2.0 MiB/s", p.line(40 * MIB, 40 * MIB, 20_000_000_000L));
        assertEquals("app:1 (2 of 3 layers)  3.0 MiB  1.0 MiB/s", p.line(3 * MIB, 0, 3_000_000_000L), "no total: no percent");
        assertEquals("app:1 (2 of 3 layers)  1.0 MiB / 400.0 MiB    0%  0.1 MiB/s  1 h 46 min left", p.line(MIB, 400 * MIB, 16_000_000_000L));
        assertEquals("app:1 (2 of 3 layers): 40.0 MiB in 1 min 20 s (0.5 MiB/s)", p.summary(40 * MIB, 80_000_000_000L));
    }

    @Test
    void aTerminalEndsWithTheSummaryAndAPipeGetsNothing() {
        ByteArrayOutputStream tty = new ByteArrayOutputStream();
        var p = new StoreSourceContext.TerminalProgress(new PrintStream(tty, true), true, "x", 2 * MIB);
        p.advance(MIB);
        p.advance(MIB);
        p.close();
        String shown = tty.toString(StandardCharsets.UTF_8);
        assertTrue(shown.startsWith("\r\033[Kx  1.0 MiB / 2.0 MiB   50%"), shown);
        assertTrue(shown.matches("(?s).*\r\033\\[Kx: 2\\.0 MiB in .* s \\(.*MiB/s\\)\n"), shown);
        ByteArrayOutputStream pipe = new ByteArrayOutputStream();
        var quiet = new StoreSourceContext.TerminalProgress(new PrintStream(pipe, true), false, "x", 2 * MIB);
        quiet.advance(2 * MIB);
        quiet.close();
        assertEquals("", pipe.toString(StandardCharsets.UTF_8));
    }
}
