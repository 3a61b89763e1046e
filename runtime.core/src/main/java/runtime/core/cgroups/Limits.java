package runtime.core.cgroups;

import java.util.Locale;
import java.util.OptionalDouble;
import java.util.OptionalLong;

/** Resource limits of a container: memory in bytes, number of tasks, CPUs (fractions allowed). */
public record Limits(OptionalLong memoryBytes, OptionalLong pids, OptionalDouble cpus) {
    public static final Limits NONE = new Limits(OptionalLong.empty(), OptionalLong.empty(), OptionalDouble.empty());

    public boolean isEmpty() {
        return memoryBytes.isEmpty() && pids.isEmpty() && cpus.isEmpty();
    }

    /** podman's smallest memory limit: below it a container cannot even start its first process. */
    public static final long MIN_MEMORY = 6L << 20;

    /** A memory limit: {@link #parseSize} of at least {@link #MIN_MEMORY} (podman's least). */
    public static long parseBytes(String text) {
        long v;
        try {
            v = parseSize(text);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("bad memory size '" + text + "': want a number with k, m or g");
        }
        if (v < MIN_MEMORY) throw new IllegalArgumentException("bad memory size '" + text + "': the least is 6m (as podman's)");
        return v;
    }

    /** {@code 512m}, {@code 2g}, {@code 65536k} or plain bytes, more than 0 and without overflow. */
    public static long parseSize(String text) {
        String t = text.strip().toLowerCase(Locale.ROOT);
        long unit = 1;
        char last = t.isEmpty() ? ' ' : t.charAt(t.length() - 1);
        switch (last) {
            case 'k' -> unit = 1L << 10;
            case 'm' -> unit = 1L << 20;
            case 'g' -> unit = 1L << 30;
            default -> { }
        }
        String digits = unit == 1 ? t : t.substring(0, t.length() - 1);
        try {
            long v = Math.multiplyExact(Long.parseLong(digits), unit);
            if (v <= 0) throw new NumberFormatException();
            return v;
        } catch (NumberFormatException | ArithmeticException e) {
            throw new IllegalArgumentException("bad size '" + text + "': want a number with k, m or g");
        }
    }

    public static long parsePids(String text) {
        try {
            long v = Long.parseLong(text.strip());
            if (v < 1) throw new NumberFormatException();
            return v;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("bad pids limit '" + text + "': want a positive number");
        }
    }

    public static double parseCpus(String text) {
        try {
            double v = Double.parseDouble(text.strip());
            if (!(v > 0)) throw new NumberFormatException();
            int available = Runtime.getRuntime().availableProcessors();
            // As podman: cgroups' smallest quota is a hundredth of a CPU, and more CPUs than there are is a mistake.
            if (v < 0.01 || v > available) {
                throw new IllegalArgumentException("bad cpus '" + text + "': want 0.01 to " + available + " (this machine has "
                        + available + " CPU" + (available == 1 ? "" : "s") + ")");
            }
            return v;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("bad cpus '" + text + "': want a positive number such as 0.5 or 2");
        }
    }
}
