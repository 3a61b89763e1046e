package runtime.core.store;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;

/**
 * Small key-value files (a layer's config, a container's or a network's state) in the format
 * {@link Properties#load(InputStream)} reads. Written here rather than with {@link Properties#store}, which
 * heads the file with the current date: formatting it loads the JDK's time-zone names (CLDR resource
 * bundles), ~80 ms of a cold {@code strata run -I}.
 */
public final class PropertiesFiles {
    private PropertiesFiles() {}

    /**
     * Writes {@code values} to {@code file}, keys sorted, ISO-8859-1 with escapes as store does. The file is
     * replaced whole (written beside it, then renamed): a reader listing containers or networks meanwhile
     * sees the old record or the new one, never half of one.
     */
    public static void write(Path file, Map<String, String> values) throws IOException {
        StringBuilder text = new StringBuilder();
        for (Map.Entry<String, String> e : new TreeMap<>(values).entrySet()) {
            escape(text, e.getKey(), true);
            text.append('=');
            escape(text, e.getValue(), false);
            text.append('\n');
        }
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.writeString(tmp, text, StandardCharsets.ISO_8859_1);
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    /** Reads a file written by {@link #write} (or by Properties.store). */
    public static Properties read(Path file) throws IOException {
        Properties p = new Properties();
        try (InputStream in = Files.newInputStream(file)) {
            p.load(in);
        }
        return p;
    }

    /**
     * The escapes of Properties.store: backslash escapes for the separators, comment markers and control
     * characters, {@code \}{@code uXXXX} outside printable ASCII; spaces escaped in keys and leading in values.
     */
    private static void escape(StringBuilder out, String s, boolean key) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '\\' -> out.append("\\\\");
                case '\t' -> out.append("\\t");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\f' -> out.append("\\f");
                case '=', ':', '#', '!' -> out.append('\\').append(c);
                case ' ' -> out.append(key || i == 0 ? "\\ " : " ");
                default -> {
                    if (c < 0x20 || c > 0x7e) {
                        out.append("\\u").append(Character.forDigit(c >> 12 & 0xf, 16)).append(Character.forDigit(c >> 8 & 0xf, 16))
                                .append(Character.forDigit(c >> 4 & 0xf, 16)).append(Character.forDigit(c & 0xf, 16));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
    }
}
