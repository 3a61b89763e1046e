package runtime.core.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PropertiesFilesTest {
    @Test
    void whatIsWrittenLoadsBackUnchanged(@TempDir Path dir) throws Exception {
        Map<String, String> values = new LinkedHashMap<>();
        values.put("plain", "/usr/bin/env");
        values.put("env.0", "PATH=/usr/bin:/bin");
        values.put("key with spaces=and:separators", "value");
        values.put("leading", "  two spaces, a trailing one ");
        values.put("escapes", "back\\slash\ttab\nnewline\rreturn\fform feed");
        values.put("markers", "#not a comment !nor this");
        values.put("unicode", "grüße 日本 \u0001 \u007f");
        values.put("empty", "");
        Path file = dir.resolve("state");
        PropertiesFiles.write(file, values);

        Properties loaded = PropertiesFiles.read(file);
        assertEquals(values.size(), loaded.size());
        values.forEach((k, v) -> assertEquals(v, loaded.getProperty(k), k));
    }

    @Test
    void theFileHasNoDateAndIsTheSameForTheSameValues(@TempDir Path dir) throws Exception {
        Map<String, String> values = Map.of("b", "2", "a", "1", "c", "3");
        PropertiesFiles.write(dir.resolve("one"), values);
        PropertiesFiles.write(dir.resolve("two"), Map.of("c", "3", "a", "1", "b", "2"));
        String text = Files.readString(dir.resolve("one"), StandardCharsets.ISO_8859_1);
        assertEquals("a=1\nb=2\nc=3\n", text);
        assertFalse(text.contains("#"));
        assertEquals(text, Files.readString(dir.resolve("two"), StandardCharsets.ISO_8859_1));
    }

    @Test
    void aRewriteReplacesTheWholeFileAndLeavesNothingBeside(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("state");
        PropertiesFiles.write(file, Map.of("pid", "-1", "command.0", "a long command line"));
        PropertiesFiles.write(file, Map.of("pid", "42"));
        assertEquals("pid=42\n", Files.readString(file, StandardCharsets.ISO_8859_1));
        try (var files = Files.list(dir)) {
            assertEquals(List.of(file), files.toList());
        }
    }

    @Test
    void readsFilesThatPropertiesStoreWrote(@TempDir Path dir) throws Exception {
        Properties p = new Properties();
        p.setProperty("created", "2026-11-23T10:00:00Z");
        p.setProperty("command.0", "sh -c 'echo ü'");
        try (OutputStream out = Files.newOutputStream(dir.resolve("old"))) {
            p.store(out, null);
        }
        assertEquals(p, PropertiesFiles.read(dir.resolve("old")));
    }
}
