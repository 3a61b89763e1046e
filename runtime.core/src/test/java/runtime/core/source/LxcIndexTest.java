package runtime.core.source;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.Optional;

import org.junit.jupiter.api.Test;

import runtime.core.store.StoreException;

class LxcIndexTest {
    private static final LxcIndex.Wanted ALPINE = LxcIndex.Wanted.parse("alpine:3.20", "amd64");

    @Test
    void referenceDefaultsToHostArchAndDefaultVariant() {
        assertEquals(new LxcIndex.Wanted("alpine", "3.20", "amd64", "default"), ALPINE);
        assertEquals(new LxcIndex.Wanted("debian", "bookworm", "arm64", "cloud"),
                LxcIndex.Wanted.parse("debian:bookworm:arm64:cloud", "amd64"));
        assertThrows(IllegalArgumentException.class, () -> LxcIndex.Wanted.parse("alpine", "amd64"));
        assertThrows(IllegalArgumentException.class, () -> LxcIndex.Wanted.parse("alpine::amd64", "amd64"));
        assertThrows(IllegalArgumentException.class, () -> LxcIndex.Wanted.parse("a:b:c:d:e", "amd64"));
    }

    @Test
    void indexUserPicksTheNewestBuildOfTheExactImage() {
        String index = """
                alpine;3.19;amd64;default;20240301_13:00;/images/alpine/3.19/amd64/default/20240301_13:00/
                alpine;3.20;amd64;default;20240101_13:00;/images/alpine/3.20/amd64/default/20240101_13:00/
                alpine;3.20;amd64;default;20240301_13:00;/images/alpine/3.20/amd64/default/20240301_13:00/
                alpine;3.20;arm64;default;20240401_13:00;/images/alpine/3.20/arm64/default/20240401_13:00/
                alpine;3.20;amd64;cloud;20240401_13:00;/images/alpine/3.20/amd64/cloud/20240401_13:00/
                garbage line
                """;
        LxcIndex.Item item = LxcIndex.fromIndexUser(index, ALPINE).orElseThrow();
        assertEquals("images/alpine/3.20/amd64/default/20240301_13:00/rootfs.tar.xz", item.path());
        assertEquals(Optional.empty(), item.sha256());
        assertEquals(Optional.empty(), LxcIndex.fromIndexUser(index, LxcIndex.Wanted.parse("alpine:3.21", "amd64")));
    }

    @Test
    void indexUserRefusesPathsLeavingTheServer() {
        assertThrows(StoreException.class, () -> LxcIndex.fromIndexUser(
                "alpine;3.20;amd64;default;1;/images/../../etc/\n", ALPINE));
        assertThrows(StoreException.class, () -> LxcIndex.fromIndexUser(
                "alpine;3.20;amd64;default;1;http://evil.example/x/\n", ALPINE));
    }

    static final String PRODUCTS = """
            {"format": "products:1.0", "products": {
              "alpine:3.20:amd64:default": {"os": "Alpine", "release": "3.20", "arch": "amd64", "variant": "default",
                "versions": {
                  "20240101_13:00": {"items": {
                    "root.tar.xz": {"ftype": "root.tar.xz", "path": "images/alpine/3.20/amd64/default/20240101_13:00/rootfs.tar.xz",
                                    "sha256": "%s", "size": 10},
                    "lxd.tar.xz": {"ftype": "lxd.tar.xz", "path": "images/x/lxd.tar.xz", "sha256": "%s", "size": 1}}},
                  "20240301_13:00": {"items": {
                    "root.tar.xz": {"ftype": "root.tar.xz", "path": "images/alpine/3.20/amd64/default/20240301_13:00/rootfs.tar.xz",
                                    "sha256": "%s", "size": 20}}},
                  "20240401_13:00": {"items": {
                    "squashfs": {"ftype": "squashfs", "path": "images/x/rootfs.squashfs", "sha256": "%s", "size": 1}}}}},
              "alpine:3.20:arm64:default": {"os": "Alpine", "release": "3.20", "arch": "arm64", "variant": "default",
                "versions": {"20250101_13:00": {"items": {"root.tar.xz": {"ftype": "root.tar.xz", "path": "images/arm/rootfs.tar.xz",
                  "sha256": "%s", "size": 1}}}}}}}
            """.formatted("a".repeat(64), "b".repeat(64), "C".repeat(64), "d".repeat(64), "e".repeat(64));

    @Test
    void simplestreamsFindsTheProductFileAndTheNewestRootTarball() throws Exception {
        String index = """
                {"format": "index:1.0", "index": {
                  "other": {"datatype": "content-download", "path": "streams/v1/other.json"},
                  "images": {"datatype": "image-downloads", "path": "streams/v1/images.json", "format": "products:1.0"}}}
                """;
        assertEquals("streams/v1/images.json", LxcIndex.productsPath(index.getBytes(StandardCharsets.UTF_8)));
        LxcIndex.Item item = LxcIndex.fromProducts(PRODUCTS.getBytes(StandardCharsets.UTF_8), ALPINE).orElseThrow();
        // The newest version with a root.tar.xz (a newer one without it is skipped); checksum normalised.
        assertEquals("images/alpine/3.20/amd64/default/20240301_13:00/rootfs.tar.xz", item.path());
        assertEquals(Optional.of("c".repeat(64)), item.sha256());
        assertEquals(20, item.size());
        assertEquals(Optional.empty(), LxcIndex.fromProducts(PRODUCTS.getBytes(StandardCharsets.UTF_8),
                LxcIndex.Wanted.parse("alpine:3.20:amd64:cloud", "amd64")));
    }

    @Test
    void simplestreamsErrorsAreOneLine() {
        StoreException bad = assertThrows(StoreException.class,
                () -> LxcIndex.productsPath("{not json".getBytes(StandardCharsets.UTF_8)));
        assertTrue(bad.getMessage().startsWith("streams/v1/index.json is not valid JSON"), bad.getMessage());
        assertThrows(StoreException.class, () -> LxcIndex.productsPath("{\"index\": {}}".getBytes(StandardCharsets.UTF_8)));
        String noSha = """
                {"products": {"alpine:3.20:amd64:default": {"versions": {"1": {"items": {
                  "r": {"ftype": "root.tar.xz", "path": "images/r.tar.xz"}}}}}}}
                """;
        assertThrows(StoreException.class, () -> LxcIndex.fromProducts(noSha.getBytes(StandardCharsets.UTF_8), ALPINE));
    }
}
