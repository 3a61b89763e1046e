package runtime.core.store;

import java.time.Instant;
import java.time.LocalDate;

/**
 * The times strata records (a layer's or a container's creation): ISO-8601 in UTC with milliseconds,
 * "2026-12-02T16:50:16.123Z", which {@link Instant#parse} reads, always of one length, so records sort
 * by it as text. Not {@code Instant.toString}: its DateTimeFormatter costs ~6 ms of a cold command.
 */
public final class Timestamps {
    private Timestamps() {}

    public static String now() {
        return of(Instant.now());
    }

    public static String of(Instant t) {
        LocalDate day = LocalDate.ofEpochDay(Math.floorDiv(t.getEpochSecond(), 86400));
        int second = (int) Math.floorMod(t.getEpochSecond(), 86400);
        StringBuilder b = new StringBuilder(24);
        digits(b, day.getYear(), 4).append('-');
        digits(b, day.getMonthValue(), 2).append('-');
        digits(b, day.getDayOfMonth(), 2).append('T');
        digits(b, second / 3600, 2).append(':');
        digits(b, second / 60 % 60, 2).append(':');
        digits(b, second % 60, 2).append('.');
        return digits(b, t.getNano() / 1_000_000, 3).append('Z').toString();
    }

    private static StringBuilder digits(StringBuilder b, int value, int width) {
        String s = Integer.toString(value);
        b.repeat('0', Math.max(0, width - s.length()));
        return b.append(s);
    }
}
