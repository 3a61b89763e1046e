package runtime.core.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Image names (map), the parent graph (rm, gc) and what clean may remove. */
class StoreNamesAndGraphTest {
    @TempDir
    Path data;
    ImageStore store;
    Layer base;

    @BeforeEach
    void setUp() throws Exception {
        store = new ImageStore(data, false);
        byte[] tar = new TarFixtures().dir("etc", 0755).file("etc/hostname", "base\n", 0644).bytes();
        base = store.importTar(new ByteArrayInputStream(tar), "test");
    }

    private Layer child(Layer parent, String instruction) throws Exception {
        Path staging = store.newStaging();
        try {
            Files.createDirectories(staging.resolve("root/etc"));
            Files.writeString(staging.resolve("root/etc/step"), instruction);
            return store.commit(staging, Optional.of(parent.id()), instruction);
        } finally {
            store.discard(staging);
        }
    }

    @Test
    void namesPointAtLayersAndCanBeRemoved() {
        assertEquals(Optional.empty(), store.mapped("busybox"));
        store.map("busybox", Optional.of(base.id()));
        assertEquals(Optional.of(base.id()), store.mapped("busybox"));
        assertEquals(Map.of("busybox", base.id()), store.maps());
        assertEquals(base.id() + "\n", readQuietly(data.resolve("map/busybox")));
        store.map("busybox", Optional.empty());
        assertEquals(Optional.empty(), store.mapped("busybox"));
        assertEquals(Map.of(), store.maps());
        store.map("busybox", Optional.empty()); // removing again is fine
    }

    private static String readQuietly(Path p) {
        try {
            return Files.readString(p);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void badNamesAndMissingLayersAreRefused() {
        for (String bad : List.of("", ".hidden", "-x", "a//b", "a/", "/a", "a%b", "..", "a b", "x".repeat(201))) {
            StoreException e = assertThrows(StoreException.class, () -> store.map(bad, Optional.of(base.id())), bad);
            assertTrue(e.getMessage().startsWith("invalid image name"), e.getMessage());
        }
        for (String good : List.of("a", "Debian-12.1_x", "0abc", "localhost:5000/app:1", "a/b@sha256:0f")) assertTrue(ImageStore.isMapName(good), good);
        StoreException missing = assertThrows(StoreException.class, () -> store.map("x", Optional.of("0".repeat(64))));
        assertTrue(missing.getMessage().startsWith("no layer 0000"), missing.getMessage());
        store.map("ok", Optional.of(base.id()));
        store.map("ok", Optional.of(base.id())); // replacing works too
        try (var files = Files.list(data.resolve("map"))) {
            assertEquals(List.of("ok"), files.map(f -> f.getFileName().toString()).toList(), "no temp files left behind");
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void resolveTriesNamesBeforeIdPrefixes() throws Exception {
        Layer other = child(base, "RUN other");
        // A name that is also a prefix of the base's id names the other layer.
        String prefix = base.id().substring(0, 6);
        store.map(prefix, Optional.of(other.id()));
        assertEquals(other.id(), store.resolve(prefix).id());
        assertEquals(base.id(), store.resolve(base.id().substring(0, 7)).id(), "longer prefixes still resolve");
        assertEquals(base.id(), store.resolve(base.id()).id());
        StoreException e = assertThrows(StoreException.class, () -> store.resolve("nosuchname"));
        assertEquals("no image 'nosuchname' (strata images lists them)", e.getMessage());
    }

    @Test
    void descendantsComeChildrenFirstAndUnreachableFollowsNames() throws Exception {
        Layer a = child(base, "RUN a");
        Layer a1 = child(a, "RUN a1");
        Layer b = child(base, "RUN b");
        assertEquals(List.of(a1.id(), a.id()), store.withDescendants(a.id()));
        List<String> all = store.withDescendants(base.id());
        assertEquals(4, all.size());
        assertEquals(base.id(), all.getLast(), "the base goes last");

        assertEquals(4, store.unreachable().size(), "no names: everything goes");
        store.map("keep", Optional.of(a1.id()));
        assertEquals(List.of(b.id()), store.unreachable(), "a1, its parent a and the base are reachable");
    }

    @Test
    void detachMovesLayersIntoTmpAndDropsTheirNames() throws Exception {
        Layer a = child(base, "RUN a");
        Layer a1 = child(a, "RUN a1");
        store.map("a", Optional.of(a.id()));
        store.map("base", Optional.of(base.id()));
        List<Path> moved = store.detach(store.withDescendants(a.id()));
        assertEquals(2, moved.size());
        for (Path p : moved) {
            assertTrue(p.startsWith(store.tmpDirectory()) && p.getFileName().toString().startsWith("rm-"), p.toString());
            assertTrue(TmpDirectories.inUse(p), "held until deleted");
        }
        assertTrue(store.layer(a.id()).isEmpty());
        assertTrue(store.layer(a1.id()).isEmpty());
        assertEquals(Map.of("base", base.id()), store.maps());
        assertEquals(List.of(), store.leftovers(p -> false), "being removed, so not a leftover");
        for (Path p : moved) {
            Trees.deleteRecursively(p);
            TmpDirectories.release(p);
        }
        assertEquals(List.of(), store.leftovers(p -> false));
    }

    @Test
    void leftoversAreTmpEntriesNobodyHolds() throws Exception {
        Path live = store.newStaging();
        Path abandoned = Files.createDirectory(store.tmpDirectory().resolve("layer-abandoned"));
        // A dead process's lock file: present but not locked by anyone.
        Path dead = Files.createDirectory(store.tmpDirectory().resolve("layer-dead"));
        Files.createFile(TmpDirectories.lockFile(dead));
        Path strayLock = Files.createFile(store.tmpDirectory().resolve("layer-gone.lock"));
        Path mounted = Files.createDirectory(store.tmpDirectory().resolve("mount-x"));
        List<Path> leftovers = store.leftovers(mounted::equals);
        assertEquals(List.of(abandoned, dead, strayLock), leftovers);
        assertFalse(leftovers.contains(live));
        assertTrue(Files.exists(TmpDirectories.lockFile(live)));
        store.discard(live);
        assertFalse(Files.exists(live));
        assertFalse(Files.exists(TmpDirectories.lockFile(live)), "discard drops the lock file too");
    }

    @Test
    void aLockHeldByAnotherOpenFileCountsAsInUse() throws Exception {
        Path dir = Files.createDirectories(store.tmpDirectory().resolve("layer-other"));
        try (FileChannel ch = FileChannel.open(TmpDirectories.lockFile(dir), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
             var lock = ch.lock()) {
            assertTrue(TmpDirectories.inUse(dir));
        }
        assertFalse(TmpDirectories.inUse(dir));
    }

    @Test
    void commitReleasesTheStagingLock() throws Exception {
        Layer a = child(base, "RUN a");
        assertTrue(store.layer(a.id()).isPresent());
        try (var entries = Files.list(store.tmpDirectory())) {
            assertEquals(List.of(), entries.toList(), "nothing left in tmp, lock files included");
        }
    }

    @Test
    void detachAllEmptiesTheStore() throws Exception {
        child(base, "RUN a");
        store.map("x", Optional.of(base.id()));
        List<Path> moved = store.detachAll();
        assertEquals(2, moved.size());
        assertEquals(List.of(), store.list());
        assertEquals(Map.of(), store.maps());
        for (Path p : moved) {
            Trees.deleteRecursively(p);
            TmpDirectories.release(p);
        }
    }
}
