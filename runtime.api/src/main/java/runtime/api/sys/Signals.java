package runtime.api.sys;

import java.util.List;
import java.util.Locale;

/**
 * Signal names (with or without SIG) and numbers, as {@code kill} takes them (x86_64 and aarch64 numbering):
 * the OCI runtime's kill, strata kill --signal and an image's StopSignal read them alike.
 */
public final class Signals {
    private static final List<String> NAMES = List.of("", "HUP", "INT", "QUIT", "ILL", "TRAP", "ABRT", "BUS", "FPE", "KILL",
            "USR1", "SEGV", "USR2", "PIPE", "ALRM", "TERM", "STKFLT", "CHLD", "CONT", "STOP", "TSTP", "TTIN", "TTOU", "URG",
            "XCPU", "XFSZ", "VTALRM", "PROF", "WINCH", "IO", "PWR", "SYS");

    private Signals() {}

    /** The signal's number; IllegalArgumentException ("invalid signal X") for anything else. */
    public static int parse(String text) {
        String s = text.toUpperCase(Locale.ROOT);
        if (s.startsWith("SIG")) s = s.substring(3);
        if (s.chars().allMatch(Character::isDigit) && !s.isEmpty()) {
            int n = Integer.parseInt(s);
            if (n < 1 || n > 64) throw invalid(text);
            return n;
        }
        if (s.equals("IOT")) return 6;
        if (s.equals("CLD")) return 17;
        if (s.equals("POLL")) return 29;
        if (s.startsWith("RTMIN")) return 34 + offset(s.substring(5), text);
        if (s.startsWith("RTMAX")) return 64 + offset(s.substring(5), text);
        int i = NAMES.indexOf(s);
        if (i <= 0) throw invalid(text);
        return i;
    }

    private static IllegalArgumentException invalid(String text) {
        return new IllegalArgumentException("invalid signal '" + text + "': want a name such as TERM or KILL, or a number 1-64");
    }

    private static int offset(String rest, String text) {
        if (rest.isEmpty()) return 0;
        try {
            return Integer.parseInt(rest);
        } catch (NumberFormatException e) {
            throw invalid(text);
        }
    }
}
