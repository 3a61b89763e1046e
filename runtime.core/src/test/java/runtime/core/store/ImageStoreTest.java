package runtime.core.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.zip.GZIPOutputStream;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImageStoreTest {
    @TempDir
    Path data;
    ImageStore store;

    @BeforeEach
    void setUp() {
        store = new ImageStore(data, false);
    }

    private static byte[] rootfs() throws IOException {
        return new TarFixtures().dir("etc", 0755).file("etc/passwd", "root:x:0:0:root:/root:/bin/ash\n", 0644)
                .dir("bin", 0755).file("bin/sh", "#!", 0755).bytes();
    }

    private static byte[] gzip(byte[] data) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
            gz.write(data);
        }
        return out.toByteArray();
    }

    private long entries(Path dir) throws IOException {
        if (!Files.exists(dir)) return 0;
        try (var s = Files.list(dir)) {
            return s.count();
        }
    }

    /** Layer ids must stay what they were (the JDK's SHA-256 of "PARENT\nINSTRUCTION"): stores on disk depend on it. */
    @Test
    void layerIdIsTheSha256OfParentAndInstruction() throws Exception {
        for (String text : List.of("", "abc", "x".repeat(1000))) {
            for (Optional<String> parent : List.of(Optional.<String>empty(), Optional.of("d0857ddfb3b1de27"))) {
                byte[] expected = java.security.MessageDigest.getInstance("SHA-256")
                        .digest((parent.orElse("") + "\n" + text).getBytes(java.nio.charset.StandardCharsets.UTF_8));
                assertEquals(java.util.HexFormat.of().formatHex(expected), ImageStore.layerId(parent, text));
            }
        }
        assertEquals("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", ImageStore.sha256Hex("abc".getBytes()));
    }

    @Test
    void closingAStoreRemovesOnlyItsOwnUnfinishedStaging() throws Exception {
        // Two invocations in one JVM, each with its store object over the same data: one ends (or is cancelled).
        ImageStore other = new ImageStore(data, false);
        Path mine = store.newStaging();
        Path theirs = other.newStaging();
        Path committed = store.newStaging();
        Files.createDirectory(committed.resolve("root"));
        String id = store.commit(committed, java.util.Optional.empty(), "committed").id();
        store.close();
        assertTrue(Files.notExists(mine), "the ended invocation's half-made layer is gone");
        assertTrue(Files.isDirectory(theirs), "the other invocation's staging is left alone");
        assertTrue(TmpDirectories.inUse(theirs), "and still locked");
        assertTrue(store.layer(id).isPresent(), "a committed layer stays");
        other.close();
        assertTrue(Files.notExists(theirs));
    }

    @Test
    void importingTheSameArchiveTwiceGivesTheSameImage() throws Exception {
        Layer a = store.importTar(new ByteArrayInputStream(rootfs()), "a");
        Layer b = store.importTar(new ByteArrayInputStream(rootfs()), "b");
        assertEquals(a.id(), b.id());
        assertEquals(64, a.id().length());
        assertEquals(1, entries(store.layersDirectory()));
        assertEquals(0, entries(data.resolve("tmp")), "the second import's staging directory is gone");
        LayerInfo info = store.info(a.id()).orElseThrow();
        assertTrue(info.instruction().startsWith("import-tar sha256:"), info.instruction());
        assertTrue(info.size() > 0);
    }

    @Test
    void compressedAndPlainArchivesImport() throws Exception {
        Layer plain = store.importTar(new ByteArrayInputStream(rootfs()), "plain");
        Layer gz = store.importTar(new ByteArrayInputStream(gzip(rootfs())), "gz");
        assertTrue(Files.isRegularFile(gz.root().resolve("etc/passwd")));
        assertTrue(!plain.id().equals(gz.id()), "the key is the archive's bytes, as given");
    }

    @Test
    void resolveByPrefixAndErrors() throws Exception {
        Layer a = store.importTar(new ByteArrayInputStream(rootfs()), "a");
        assertEquals(a.id(), store.resolve(a.id().substring(0, 6)).id());
        assertEquals(a.id(), store.resolve(a.id()).id());
        StoreException missing = assertThrows(StoreException.class, () -> store.resolve("ffffffff"));
        assertEquals("no image 'ffffffff' (strata images lists them)", missing.getMessage());
        assertThrows(StoreException.class, () -> store.resolve("xyz"));
    }

    @Test
    void rootShellComesFromTheImagesPasswd() throws Exception {
        Layer a = store.importTar(new ByteArrayInputStream(rootfs()), "a");
        assertEquals("/bin/ash", store.rootShell(store.chain(a)));
    }

    @Test
    void chainsFollowParents() throws Exception {
        Layer base = store.importTar(new ByteArrayInputStream(rootfs()), "a");
        Path staging = store.newStaging();
        Files.createDirectories(staging.resolve("root/opt"));
        Layer child = store.commit(staging, Optional.of(base.id()), "run echo hi");
        assertEquals(ImageStore.layerId(Optional.of(base.id()), "run echo hi"), child.id());
        assertEquals(List.of(child.id(), base.id()), store.chain(child).stream().map(Layer::id).toList());
    }

    /** A build step's cache lookup: through the parent's index of children, and without it as before. */
    @Test
    void childLookupUsesTheIndexAndFallsBackToTheId() throws Exception {
        Layer base = store.importTar(new ByteArrayInputStream(rootfs()), "a");
        String instruction = "run printf 'a\\nb'\n  echo two lines";
        assertTrue(store.child(base, instruction).isEmpty());
        Path staging = store.newStaging();
        Files.createDirectories(staging.resolve("root"));
        Layer child = store.commit(staging, Optional.of(base.id()), instruction);
        Path index = base.directory().resolve(ImageStore.CHILDREN);
        assertEquals(1, Files.readAllLines(index).size(), "the commit indexed the child");
        assertEquals(Optional.of(child), store.child(base, instruction));
        assertTrue(store.child(base, instruction + " ").isEmpty(), "another instruction is another step");

        // Damaged, foreign and stale entries are skipped; a store without the index still finds the child
        // by its id, and the lookup adds the entry back.
        Layer other = store.importTar(new ByteArrayInputStream(gzip(rootfs())), "b");
        String key = java.util.Base64.getEncoder().encodeToString(instruction.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        Files.writeString(index, "garbage\n" + other.id() + " " + key + "\n" + "f".repeat(64) + " " + key + "\n");
        assertEquals(Optional.of(child), store.child(base, instruction));
        Files.delete(index);
        assertEquals(Optional.of(child), store.child(base, instruction));
        assertTrue(Files.readString(index).startsWith(child.id() + " "), "the fallback indexed the child again");

        Files.writeString(index, "\u00e9\n");
        assertEquals(Optional.of(child), store.child(base, instruction), "a non-ASCII index is ignored");
    }

    @Test
    void aTruncatedArchiveLeavesNothingBehind() throws Exception {
        byte[] whole = gzip(rootfs());
        byte[] cut = Arrays.copyOf(whole, whole.length / 2);
        StoreException e = assertThrows(StoreException.class, () -> store.importTar(new ByteArrayInputStream(cut), "cut.tar.gz"));
        assertTrue(e.getMessage().startsWith("cannot import cut.tar.gz: "), e.getMessage());
        assertEquals(0, entries(store.layersDirectory()));
        assertEquals(0, entries(data.resolve("tmp")));
    }

    @Test
    void garbageIsNotATar() throws Exception {
        InputStream junk = new ByteArrayInputStream("this is not a tar archive at all".repeat(40).getBytes());
        assertThrows(StoreException.class, () -> store.importTar(junk, "junk"));
        assertEquals(0, entries(store.layersDirectory()));
    }

    @Test
    void defaultLocationFollowsXdgAndOverrides() {
        assertEquals(Path.of("/x"), ImageStore.defaultLocation(Map.of("STRATA_DATA", "/x"), false));
        assertEquals(Path.of("/var/lib/strata"), ImageStore.defaultLocation(Map.of(), true));
        assertEquals(Path.of("/d/strata"), ImageStore.defaultLocation(Map.of("XDG_DATA_HOME", "/d"), false));
    }
}
