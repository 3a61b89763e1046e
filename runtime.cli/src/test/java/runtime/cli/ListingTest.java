package runtime.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/** images and ps for scripts (issue 20 item 4): -q, --format json with keys in a fixed order, templates, refusals. */
class ListingTest {
    @TempDir
    Path dir;
    private String id;

    record Out(int code, String out, String err) {}

    Out strata(byte[] stdin, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        Map<String, String> env = Map.of("STRATA_DATA", dir.resolve("data").toString(), "PATH", "/usr/bin:/bin",
                "XDG_RUNTIME_DIR", dir.toString());
        int code = Main.run(TestContexts.of(List.of(args), env, dir, new ByteArrayInputStream(stdin), new PrintStream(out, true),
                new PrintStream(err, true)));
        return new Out(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    Out strata(String... args) {
        return strata(new byte[0], args);
    }

    @BeforeEach
    void image() throws Exception {
        ByteArrayOutputStream tar = new ByteArrayOutputStream();
        try (TarArchiveOutputStream t = new TarArchiveOutputStream(tar)) {
            TarArchiveEntry e = new TarArchiveEntry("hello");
            e.setSize(2);
            t.putArchiveEntry(e);
            t.write("hi".getBytes(StandardCharsets.UTF_8));
            t.closeArchiveEntry();
        }
        Out imported = strata(tar.toByteArray(), "import-tar", "-");
        assertEquals(0, imported.code(), imported.err());
        id = imported.out().strip();
        assertEquals(0, strata("map", "app:1", id).code());
        Files.createDirectories(dir.resolve("data"));
    }

    @Test
    void quietPrintsShortIds() {
        Out q = strata("images", "-q");
        assertEquals(id.substring(0, 12) + "\n", q.out(), q.err());
    }

    @Test
    void jsonHasEveryFieldInOneOrder() throws Exception {
        Out first = strata("images", "--format", "json");
        assertEquals(0, first.code(), first.err());
        assertEquals(first.out(), strata("images", "--format", "json").out(), "the same bytes every time");
        JsonNode rows = new ObjectMapper().readTree(first.out());
        assertEquals(1, rows.size());
        List<String> keys = new java.util.ArrayList<>();
        rows.get(0).fieldNames().forEachRemaining(keys::add);
        assertEquals(List.of("id", "parent", "names", "size", "created", "instruction"), keys);
        assertEquals(id, rows.get(0).path("id").asText());
        assertEquals("app:1", rows.get(0).path("names").get(0).asText());
        assertTrue(rows.get(0).path("size").asLong() > 0, first.out());
    }

    @Test
    void templatesTakeFieldsInAnyCaseAndATableHeader() {
        assertEquals(id + " app:1\n", strata("images", "--format", "{{.ID}} {{.Names}}").out());
        assertEquals("ID\tNAMES\n" + id + "\tapp:1\n", strata("images", "--format", "table {{.Id}}\\t{{ .names }}").out());
        assertTrue(strata("images", "--format", "{{json .}}").out().startsWith("{\"id\":\"" + id + "\""));
    }

    @Test
    void badFormatsAreUsageErrors() {
        Out field = strata("images", "--format", "{{.Repository}}");
        assertEquals(2, field.code());
        assertEquals("strata images: --format: no field .Repository (fields: id, parent, names, size, created, instruction)\n", field.err());
        Out none = strata("ps", "--format", "yaml");
        assertEquals(2, none.code());
        assertEquals("strata ps: --format 'yaml': want json, table or a template with {{.Field}}\n", none.err());
        assertEquals(2, strata("ps", "-q", "--format", "json").code());
        assertEquals(2, strata("ps", "extra").code());
    }

    @Test
    void psWithNothingRunning() {
        assertEquals("[ ]\n", strata("ps", "-a", "--format", "json").out());
        assertEquals("", strata("ps", "-q").out());
        assertTrue(strata("ps").out().startsWith("ID "), "the table's header");
    }
}
