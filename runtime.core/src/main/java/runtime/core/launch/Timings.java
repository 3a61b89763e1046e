package runtime.core.launch;

import java.util.ArrayList;
import java.util.List;

/** Named phase durations of one start, printed with --debug. */
public final class Timings {
    private final List<String> names = new ArrayList<>();
    private final List<Long> nanos = new ArrayList<>();
    private long last = System.nanoTime();

    /** Records the time since the previous mark under {@code phase}. */
    public void mark(String phase) {
        long now = System.nanoTime();
        names.add(phase);
        nanos.add(now - last);
        last = now;
    }

    public long totalNanos() {
        return nanos.stream().mapToLong(Long::longValue).sum();
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < names.size(); i++) {
            if (i > 0) sb.append(", ");
            sb.append(names.get(i)).append(' ').append(millis(nanos.get(i))).append(" ms");
        }
        return sb.toString();
    }

    /**
     * Milliseconds with two decimals. Not String.format: its first use loads the locale's number
     * formatting, which costs a cold {@code strata run --debug} more than the phases it reports.
     */
    public static String millis(long nanos) {
        long hundredths = Math.round(nanos / 1e4);
        long fraction = hundredths % 100;
        return (hundredths / 100) + (fraction < 10 ? ".0" : ".") + fraction;
    }
}
