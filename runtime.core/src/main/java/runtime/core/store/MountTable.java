package runtime.core.store;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The mounts of this process's mount namespace, from {@code /proc/self/mountinfo}: what {@code strata
 * clean} needs to find stale mounts under the store and the directories live mounts still use.
 */
public final class MountTable {
    /** One mount: where it is, its type and source, and its raw (escaped) filesystem options. */
    public record Entry(Path mountPoint, String type, String source, String superOptions) {
        /** Host paths in the options (overlay's lowerdir, upperdir, workdir), unescaped. */
        public List<Path> optionPaths() {
            List<Path> paths = new ArrayList<>();
            // Raw options: the kernel escapes commas inside values as \054, so splitting first is safe.
            for (String raw : superOptions.split(",")) {
                String option = unescape(raw);
                int eq = option.indexOf('=');
                if (eq < 0) continue;
                String key = option.substring(0, eq);
                if (!key.equals("lowerdir") && !key.equals("upperdir") && !key.equals("workdir")) continue;
                for (String p : splitUnescaped(option.substring(eq + 1), ':')) {
                    String path = p.replace("\\\\", "\u0000").replace("\\", "").replace("\u0000", "\\");
                    if (path.startsWith("/")) paths.add(Path.of(path));
                }
            }
            return paths;
        }
    }

    private MountTable() {}

    public static List<Entry> current() throws IOException {
        return parse(Files.readAllLines(Path.of("/proc/self/mountinfo")));
    }

    /** Parses mountinfo lines: {@code ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTS [OPTIONAL...] - TYPE SOURCE SUPEROPTS}. */
    public static List<Entry> parse(List<String> lines) {
        List<Entry> entries = new ArrayList<>();
        for (String line : lines) {
            String[] f = line.split(" ");
            int dash = -1;
            for (int i = 6; i < f.length; i++) {
                if (f[i].equals("-")) {
                    dash = i;
                    break;
                }
            }
            if (f.length < 7 || dash < 0 || dash + 2 >= f.length) continue;
            String superOptions = dash + 3 < f.length ? f[dash + 3] : "";
            entries.add(new Entry(Path.of(unescape(f[4])), unescape(f[dash + 1]), unescape(f[dash + 2]), superOptions));
        }
        return entries;
    }

    /** The kernel writes space, tab, newline and backslash in paths as octal escapes ({@code \040}). */
    static String unescape(String s) {
        if (s.indexOf('\\') < 0) return s;
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\' && isOctal(s, i + 1)) {
                b.append((char) Integer.parseInt(s.substring(i + 1, i + 4), 8));
                i += 3;
            } else {
                b.append(c);
            }
        }
        return b.toString();
    }

    private static boolean isOctal(String s, int from) {
        if (from + 3 > s.length()) return false;
        for (int i = from; i < from + 3; i++) {
            if (s.charAt(i) < '0' || s.charAt(i) > '7') return false;
        }
        return true;
    }

    /** Splits at {@code sep} unless it is escaped with a backslash (as overlay escapes , and :). */
    static List<String> splitUnescaped(String s, char sep) {
        List<String> parts = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\' && i + 1 < s.length()) {
                current.append(c).append(s.charAt(++i));
            } else if (c == sep) {
                parts.add(current.toString());
                current.setLength(0);
            } else {
                current.append(c);
            }
        }
        parts.add(current.toString());
        return parts;
    }
}
