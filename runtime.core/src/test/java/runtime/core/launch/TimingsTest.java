package runtime.core.launch;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class TimingsTest {
    @Test
    void millisHaveTwoRoundedDecimals() {
        assertEquals("0.00", Timings.millis(0));
        assertEquals("0.05", Timings.millis(49_999));
        assertEquals("1.50", Timings.millis(1_500_000));
        assertEquals("12.35", Timings.millis(12_345_678));
        assertEquals("100.00", Timings.millis(99_999_999));
    }

    @Test
    void phasesAreListedInOrder() {
        Timings t = new Timings();
        t.mark("a");
        t.mark("b");
        assertEquals(true, t.toString().matches("a [0-9]+\\.[0-9]{2} ms, b [0-9]+\\.[0-9]{2} ms"), t.toString());
    }
}
