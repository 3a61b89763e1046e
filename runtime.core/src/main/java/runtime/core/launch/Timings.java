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
            sb.append(names.get(i)).append(' ').append(String.format("%.2f ms", nanos.get(i) / 1e6));
        }
        return sb.toString();
    }
}
