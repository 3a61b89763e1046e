package runtime.core.source.oci;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;

class ImageAssemblerTest {
    private static byte[] tar(String... entries) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (TarArchiveOutputStream tar = new TarArchiveOutputStream(bytes)) {
            for (String spec : entries) {
                TarArchiveEntry e;
                if (spec.contains(" -> ")) {
                    e = new TarArchiveEntry(spec.split(" -> ")[0], TarArchiveEntry.LF_SYMLINK, true);
                    e.setLinkName(spec.split(" -> ")[1]);
                } else if (spec.contains(" => ")) {
                    e = new TarArchiveEntry(spec.split(" => ")[0], TarArchiveEntry.LF_LINK, true);
                    e.setLinkName(spec.split(" => ")[1]);
                } else {
                    e = new TarArchiveEntry(spec, true);
                    if (!spec.endsWith("/")) e.setSize(1); // data on a directory is refused (tools disagree on it)
                }
                tar.putArchiveEntry(e);
                if (e.isFile() && !e.isSymbolicLink() && !e.isLink()) tar.write('x');
                tar.closeArchiveEntry();
            }
        }
        return bytes.toByteArray();
    }

    private static String verify(Path dir, byte[] tar) throws IOException {
        Path file = dir.resolve("layer");
        Files.write(file, tar);
        ImageAssembler.verifyLayer(file, "sha256:blob", Digests.sha256(tar), "img");
        return "ok";
    }

    @Test
    void ordinaryLayersPassAndTheDiffIdIsChecked(@TempDir Path dir) throws IOException {
        assertEquals("ok", verify(dir, tar("etc/", "etc/passwd", "bin -> usr/bin", "usr/bin/sh", "usr/bin/ash => usr/bin/sh", "./a/../b")));
        Path file = dir.resolve("layer");
        OciException e = assertThrows(OciException.class, () -> ImageAssembler.verifyLayer(file, "sha256:blob", "sha256:" + "0".repeat(64), "img"));
        assertTrue(e.getMessage().startsWith("img: layer sha256:blob: content digest sha256:"), e.getMessage());
        assertTrue(e.getMessage().endsWith(" is not the config's diff_id sha256:" + "0".repeat(64)), e.getMessage());
    }

    @Test
    void escapesAreRefused(@TempDir Path dir) {
        assertEquals("img: layer sha256:blob: tar entry a/../../etc/x points outside the layer (refused)",
                assertThrows(OciException.class, () -> verify(dir, tar("a/../../etc/x"))).getMessage());
        assertEquals("img: layer sha256:blob: tar entry evil/passwd goes through the symlink evil (refused)",
                assertThrows(OciException.class, () -> verify(dir, tar("evil -> /etc", "evil/passwd"))).getMessage());
        assertEquals("img: layer sha256:blob: tar entry d/e/f goes through the symlink d (refused)",
                assertThrows(OciException.class, () -> verify(dir, tar("d -> ../../..", "d/e/f"))).getMessage());
        assertEquals("img: layer sha256:blob: tar entry h points outside the layer (refused)",
                assertThrows(OciException.class, () -> verify(dir, tar("h => ../../etc/shadow"))).getMessage());
        assertTrue(assertThrows(OciException.class, () -> verify(dir, "not a tar at all ".repeat(64).getBytes(StandardCharsets.UTF_8)))
                .getMessage().startsWith("img: layer sha256:blob: "));
    }

    @Test
    void platformChoice() throws IOException {
        JsonNode index = RegistryClient.JSON.readTree("""
                {"manifests":[
                  {"digest":"a","platform":{"os":"linux","architecture":"arm","variant":"v7"}},
                  {"digest":"b","platform":{"os":"linux","architecture":"arm64"}},
                  {"digest":"c","platform":{"os":"linux","architecture":"amd64"}},
                  {"digest":"d","platform":{"os":"unknown","architecture":"unknown"}},
                  {"digest":"e","platform":{"os":"linux","architecture":"arm","variant":"v6"}}]}""");
        assertEquals("c", ImageAssembler.choosePlatform(index, Map.of("STRATA_PLATFORM", "linux/amd64"), "x").path("digest").asText());
        assertEquals("b", ImageAssembler.choosePlatform(index, Map.of("STRATA_PLATFORM", "linux/arm64/v8"), "x").path("digest").asText());
        assertEquals("e", ImageAssembler.choosePlatform(index, Map.of("STRATA_PLATFORM", "linux/arm/v6"), "x").path("digest").asText());
        assertEquals("a", ImageAssembler.choosePlatform(index, Map.of("STRATA_PLATFORM", "linux/arm/v7"), "x").path("digest").asText());
        String mine = ImageAssembler.choosePlatform(index, Map.of(), "x").path("digest").asText();
        assertEquals(System.getProperty("os.arch").equals("aarch64") ? "b" : "c", mine);
        assertEquals("x: no linux/s390x image in the manifest list (it has linux/arm/v7, linux/arm64, linux/amd64, unknown/unknown, linux/arm/v6)",
                assertThrows(OciException.class, () -> ImageAssembler.choosePlatform(index, Map.of("STRATA_PLATFORM", "linux/s390x"), "x")).getMessage());
    }
}
