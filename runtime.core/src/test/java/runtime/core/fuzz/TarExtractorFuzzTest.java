package runtime.core.fuzz;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;

import runtime.core.store.StoreException;
import runtime.core.store.TarExtractor;
import runtime.core.store.Trees;

/**
 * Fuzzes tar extraction (whiteouts, links, devices) into a real directory. Most inputs become a valid tar
 * built from fuzzed entries whose names and link targets are made of path pieces that try to escape
 * ({@code ..}, absolute paths, whiteout names, the sibling directory); the rest are raw bytes for the
 * header parser. Any input may be refused ({@link StoreException}, or an {@link IOException} from the
 * filesystem), but nothing may appear next to the layer, and no other exception may escape.
 */
public class TarExtractorFuzzTest {
    private static final String[] PIECES = {"a", "b", "etc", "..", ".", "", ".wh.a", ".wh..wh..opq", ".wh..", ".wh.",
            "/", "outside", "../outside", "/tmp", "x".repeat(300)};
    private static Path base;

    private static synchronized Path base() throws IOException {
        if (base == null) {
            Path made = Files.createTempDirectory("strata-fuzz-tar-");
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                try {
                    Trees.deleteRecursively(made);
                } catch (IOException e) {
                    // a temp directory; the machine's tmp cleaner has it
                }
            }));
            base = made;
        }
        return base;
    }

    /** Every build replays the saved inputs; with -Dfuzz=1 (CI) it fuzzes for 20 s; longer runs: scripts/fuzz. */
    @FuzzTest(maxDuration = "20s")
    void extract(FuzzedDataProvider data) throws Exception {
        fuzzerTestOneInput(data);
    }

    /** Jazzer's own entry point too (scripts/fuzz runs it without JUnit, for as long as asked). */
    public static void fuzzerTestOneInput(FuzzedDataProvider data) throws Exception {
        byte[] tar = data.consumeBoolean() ? data.consumeRemainingAsBytes() : structured(data);
        Path layer = Files.createDirectory(base().resolve("layer"));
        try {
            new TarExtractor(layer, false, new TarExtractor.Limits(1 << 20, 1000)).extract(new ByteArrayInputStream(tar));
        } catch (StoreException | IOException expected) {
            // refused: fine
        } finally {
            try (var s = Files.list(base())) {
                List<Path> next = s.filter(p -> !p.equals(layer)).toList();
                if (!next.isEmpty()) throw new AssertionError("written outside the layer: " + next);
            }
            Trees.deleteRecursively(layer);
        }
    }

    private static String path(FuzzedDataProvider data) throws IOException {
        StringBuilder b = new StringBuilder();
        int n = data.consumeInt(1, 4);
        for (int i = 0; i < n; i++) {
            if (i > 0 || data.consumeBoolean()) b.append('/');
            b.append(data.consumeBoolean() ? data.pickValue(PIECES) : data.consumeAsciiString(8));
        }
        String p = b.toString();
        // "outside" names base/outside, next to the layer: the one place an escape would land and be seen.
        return p.replace("outside", base().resolve("outside").toString().substring(1));
    }

    private static byte[] structured(FuzzedDataProvider data) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        TarArchiveOutputStream out = new TarArchiveOutputStream(bytes);
        out.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
        int entries = data.consumeInt(0, 12);
        for (int i = 0; i < entries; i++) {
            String name = path(data);
            if (name.isEmpty()) name = ".";
            byte type = data.pickValue(new byte[] {TarArchiveEntry.LF_NORMAL, TarArchiveEntry.LF_DIR, TarArchiveEntry.LF_SYMLINK,
                    TarArchiveEntry.LF_LINK, TarArchiveEntry.LF_CHR, TarArchiveEntry.LF_FIFO});
            TarArchiveEntry e = new TarArchiveEntry(name, type, true);
            e.setMode(data.consumeInt(0, 07777));
            if (type == TarArchiveEntry.LF_SYMLINK || type == TarArchiveEntry.LF_LINK) e.setLinkName(path(data));
            byte[] content = type == TarArchiveEntry.LF_NORMAL
                    ? data.consumeString(64).getBytes(StandardCharsets.UTF_8) : new byte[0];
            e.setSize(content.length);
            try {
                out.putArchiveEntry(e);
                out.write(content);
                out.closeArchiveEntry();
            } catch (IllegalArgumentException | IOException unwritable) {
                // An entry the writer refuses: the archive ends here, unfinished (closing the writer would
                // refuse too, an entry being open), which is one more kind of damaged input.
                return bytes.toByteArray();
            }
        }
        out.close();
        return bytes.toByteArray();
    }
}
