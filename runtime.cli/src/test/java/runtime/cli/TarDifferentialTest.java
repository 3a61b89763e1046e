package runtime.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.TreeMap;
import java.util.stream.Stream;

import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import runtime.api.sys.Posix;
import runtime.core.store.StoreException;
import runtime.core.store.TarExtractor;
import runtime.cli.HostileArchives.Tar;

/**
 * Parser differentials (issue 17 item 8): archives on which tar implementations may disagree, each unpacked
 * by GNU tar ({@code tar -xf}) and by strata's extractor. Where strata unpacks, the tree (names, types,
 * contents, link targets) must be GNU tar's: a layer must not hold what other tools do not see (a file
 * hidden inside what they read as a directory, say). Refusing is the other acceptable answer, except for the
 * cases marked {@code mustUnpack}, which are plain uses of the format that every tool reads alike; those
 * marked {@code mustRefuse} are read differently by GNU tar, Python's tarfile or commons-compress.
 */
class TarDifferentialTest {
    record Case(String name, boolean mustUnpack, boolean mustRefuse, byte[] tar) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Stream<Case> cases() throws IOException {
        byte[] hidden = withoutTrailer(new Tar().file("etc/passwd", "root::0:0:hidden:/:/bin/sh\n").bytes());
        List<Case> c = new ArrayList<>();
        // Names ending in '/' on entries that are not directories, with data other tools read as headers.
        c.add(refused("type-0-named-like-a-directory", new Tar().headerAndData(header("etc/", '0', hidden.length), hidden).file("z", "z")));
        c.add(refused("type-nul-named-like-a-directory", new Tar().headerAndData(header("etc/", '\0', hidden.length), hidden).file("z", "z")));
        c.add(refused("type-7-named-like-a-directory", new Tar().headerAndData(header("etc/", '7', hidden.length), hidden).file("z", "z")));
        c.add(refused("directory-with-data", new Tar().headerAndData(header("d/", '5', hidden.length), hidden).file("z", "z")));
        c.add(refused("pax-path-like-a-directory", new Tar().pax("path=etc/").headerAndData(header("x", '0', hidden.length), hidden)));
        c.add(refused("gnu-long-name-like-a-directory", new Tar().gnuLong('L', "etc/").headerAndData(header("x", '0', hidden.length), hidden)));
        c.add(refused("symlink-named-like-a-directory", new Tar().symlink("l/", "target").file("z", "z")));
        // Which name wins when several say so.
        c.add(refused("pax-path-then-gnu-long-name", new Tar().pax("path=from-pax").gnuLong('L', "from-gnu").file("from-ustar", "x")));
        c.add(refused("gnu-long-name-then-pax-path", new Tar().gnuLong('L', "from-gnu").pax("path=from-pax").file("from-ustar", "x")));
        c.add(refused("duplicate-gnu-long-name", new Tar().gnuLong('L', "first").gnuLong('L', "second").file("from-ustar", "x")));
        c.add(may("duplicate-pax-path", new Tar().pax("path=first", "path=second").file("from-ustar", "x")));
        c.add(may("pax-linkpath-then-gnu-long-link", new Tar().pax("linkpath=from-pax").gnuLong('K', "from-gnu").symlink("l", "from-ustar")));
        c.add(may("global-pax-path", new Tar().globalPax("path=global").file("a", "a").file("b", "b")));
        c.add(must("pax-path", new Tar().pax("path=" + "long/".repeat(30) + "name").file("short", "x")));
        c.add(must("gnu-long-name", new Tar().gnuLong('L', "long/".repeat(30) + "name").file("short", "x")));
        c.add(must("ustar-prefix", new Tar().headerAndData(prefixed("some/dir", "file"), "x".getBytes(StandardCharsets.UTF_8))));
        c.add(may("old-gnu-bytes-in-prefix-area", new Tar().headerAndData(oldGnuWithPrefixBytes("file"), "x".getBytes(StandardCharsets.UTF_8))));
        c.add(must("name-filling-all-100-bytes", new Tar().file("n".repeat(100), "x")));
        // Sizes.
        c.add(may("pax-size-override", new Tar().pax("size=3").headerAndData(header("f", '0', 700), "abc".getBytes(StandardCharsets.UTF_8))
                .file("after", "after")));
        c.add(must("base-256-size", new Tar().headerAndData(base256Size(header("f", '0', 0), 5), "hello".getBytes(StandardCharsets.UTF_8))));
        c.add(may("negative-base-256-size", new Tar().headerAndData(negativeSize(header("f", '0', 0)), new byte[512]).file("z", "z")));
        c.add(may("size-beyond-the-archive", new Tar().headerAndData(header("f", '0', 077777777777L), "x".getBytes(StandardCharsets.UTF_8))));
        c.add(may("pax-size-negative", new Tar().pax("size=-512").file("f", "x").file("z", "z")));
        // Checksums.
        c.add(must("checksum-of-signed-bytes", new Tar().headerAndData(signedChecksum(header("signed", '0', 1)), new byte[] {'x'})));
        // Links.
        c.add(may("hard-link-to-a-later-entry", new Tar().hardlink("l", "t").file("t", "x")));
        c.add(must("hard-link-to-an-earlier-entry", new Tar().file("t", "x").hardlink("l", "t")));
        // Entry types.
        c.add(may("old-gnu-sparse", new Tar().sparse("s", 4096)));
        c.add(refused("volume-label", new Tar().headerAndData(header("label", 'V', 0), new byte[0]).file("z", "z")));
        c.add(refused("multi-volume-continuation", new Tar().headerAndData(header("cont", 'M', 1), new byte[] {'x'}).file("z", "z")));
        c.add(may("unknown-type-with-data", new Tar().headerAndData(header("u", 'Z', 1), new byte[] {'x'}).file("z", "z")));
        c.add(must("contiguous-file", new Tar().headerAndData(header("c", '7', 1), new byte[] {'x'})));
        // The end of the archive.
        c.add(may("entries-after-the-end", new Tar().file("a", "a").raw(new byte[1024]).raw(new Tar().file("hidden", "h").bytes())));
        c.add(may("lone-zero-block", new Tar().file("a", "a").raw(new byte[512]).raw(new Tar().file("hidden", "h").bytes())));
        c.add(must("trailing-garbage", new Tar().file("a", "a").raw(new byte[1024]).raw("garbage".repeat(100).getBytes(StandardCharsets.UTF_8))));
        return c.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void strataUnpacksWhatGnuTarUnpacksOrRefuses(Case k, @TempDir Path tmp) throws Exception {
        Path archive = Files.write(tmp.resolve("a.tar"), k.tar());
        Path gnu = Files.createDirectory(tmp.resolve("gnu"));
        Process tar = new ProcessBuilder("tar", "--no-same-owner", "-xf", archive.toString(), "-C", gnu.toString())
                .redirectErrorStream(true).start();
        String tarSaid = new String(tar.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        int tarExit = tar.waitFor();

        Path ours = Files.createDirectory(tmp.resolve("strata"));
        TarExtractor extractor = new TarExtractor(ours, Posix.getuid() == 0, new TarExtractor.Limits(1 << 20, 1000));
        try {
            extractor.extract(new ByteArrayInputStream(k.tar()));
        } catch (StoreException | IOException e) {
            if (k.mustUnpack()) fail(k + ": refused: " + e.getMessage() + " (GNU tar exit " + tarExit + ": " + tarSaid + ")");
            assertTrue(e.getMessage() != null && !e.getMessage().isBlank() && e.getMessage().length() < 1000, k + ": " + e);
            return;
        }
        if (k.mustRefuse()) fail(k + ": unpacked, though tar implementations disagree on it: " + tree(ours));
        if (k.mustUnpack()) assertEquals(0, tarExit, k + ": GNU tar: " + tarSaid);
        assertEquals(tree(gnu), tree(ours), k + ": strata unpacked another tree than GNU tar (exit " + tarExit + ": " + tarSaid + ")");
    }

    /** Every path below {@code root} with its type and content or link target. */
    private static TreeMap<String, String> tree(Path root) throws IOException {
        TreeMap<String, String> t = new TreeMap<>();
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : s.toList()) {
                if (p.equals(root)) continue;
                String what;
                if (Files.isSymbolicLink(p)) what = "symlink -> " + Files.readSymbolicLink(p);
                else if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) what = "directory";
                else if (Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) what = "file " + Arrays.hashCode(Files.readAllBytes(p))
                        + " (" + Files.size(p) + " bytes)";
                else what = "other";
                t.put(root.relativize(p).toString(), what);
            }
        }
        return t;
    }

    private static Case must(String name, Tar tar) throws IOException {
        return new Case(name, true, false, tar.bytes());
    }

    private static Case may(String name, Tar tar) throws IOException {
        return new Case(name, false, false, tar.bytes());
    }

    /** Read differently by GNU tar and Python's tarfile or commons-compress, so strata refuses it. */
    private static Case refused(String name, Tar tar) throws IOException {
        return new Case(name, false, true, tar.bytes());
    }

    private static byte[] withoutTrailer(byte[] tar) {
        return Arrays.copyOf(tar, tar.length - 1024);
    }

    private static byte[] header(String name, char type, long size) {
        return Tar.header(name, type, type == '5' ? 0755 : 0644, size, "", 0, 0, "ustar\0", "00");
    }

    private static byte[] prefixed(String prefix, String name) {
        byte[] h = header(name, '0', 1);
        byte[] p = prefix.getBytes(StandardCharsets.UTF_8);
        System.arraycopy(p, 0, h, 345, p.length);
        Tar.checksum(h);
        return h;
    }

    /** An old GNU header ("ustar  ") whose bytes 345.. (atime, ctime in that format) look like a prefix. */
    private static byte[] oldGnuWithPrefixBytes(String name) {
        byte[] h = Tar.header(name, '0', 0644, 1, "", 0, 0, "ustar ", " \0");
        byte[] p = "evil/dir".getBytes(StandardCharsets.UTF_8);
        System.arraycopy(p, 0, h, 345, p.length);
        Tar.checksum(h);
        return h;
    }

    private static byte[] base256Size(byte[] h, long size) {
        Arrays.fill(h, 124, 136, (byte) 0);
        h[124] = (byte) 0x80;
        for (int i = 0; i < 8; i++) h[135 - i] = (byte) (size >>> (8 * i));
        Tar.checksum(h);
        return h;
    }

    private static byte[] negativeSize(byte[] h) {
        Arrays.fill(h, 124, 136, (byte) 0xff);
        Tar.checksum(h);
        return h;
    }

    /** Bytes above 0x7f in the owner's name, the checksum summed over signed bytes (as old tars did). */
    private static byte[] signedChecksum(byte[] h) {
        byte[] n = "\u00e9\u00fc\u00e9\u00fc".getBytes(StandardCharsets.ISO_8859_1);
        Arrays.fill(h, 265, 297, (byte) 0);
        System.arraycopy(n, 0, h, 265, n.length);
        for (int i = 148; i < 156; i++) h[i] = ' ';
        long sum = 0;
        for (byte b : h) sum += b;
        String s = String.format("%06o", sum);
        System.arraycopy(s.getBytes(StandardCharsets.US_ASCII), 0, h, 148, 6);
        h[154] = 0;
        h[155] = ' ';
        return h;
    }
}
