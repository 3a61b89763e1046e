package runtime.core;

/** Exceptions as users read them: one line, never a Java class name (issue 20). */
public final class Errors {
    private Errors() {}

    /** The first line of {@code e}'s message, or "no reason given" when it has none (not its class name). */
    public static String oneLine(Throwable e) {
        String m = e.getMessage();
        if (m == null || m.isBlank()) return "no reason given";
        return m.lines().findFirst().orElse(m);
    }
}
