package runtime.core.source.oci;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** registries.conf as containers-registries.conf(5) reads it, for short names. */
class ShortNamesTest {
    @TempDir
    Path dir;

    @Test
    void shortNamesHaveNoRegistry() {
        for (String s : List.of("alpine", "alpine:3.20", "library/alpine", "app@sha256:" + "a".repeat(64))) assertTrue(ShortNames.isShortName(s), s);
        for (String s : List.of("docker.io/alpine", "localhost/app", "localhost:5000/app:1", "quay.io/x/y:1", "", "Not Valid", "https://x/y")) {
            assertFalse(ShortNames.isShortName(s), s);
        }
    }

    @Test
    void anAliasWinsElseEachSearchRegistryInOrder() throws Exception {
        Path conf = Files.writeString(dir.resolve("registries.conf"), """
                unqualified-search-registries = ["a.example:5000", "b.example"]
                [aliases]
                "web" = "c.example/team/web"
                """);
        ShortNames.Config c = ShortNames.read(Map.of("CONTAINERS_REGISTRIES_CONF", conf.toString()));
        assertEquals(List.of(new ShortNames.Candidate("c.example/team/web:2", "the alias in registries.conf")), c.candidates("web:2"));
        assertEquals(List.of("a.example:5000/app:1", "b.example/app:1"), c.candidates("app:1").stream().map(ShortNames.Candidate::reference).toList());
        assertEquals(List.of("a.example:5000/x/app", "b.example/x/app"), c.candidates("x/app").stream().map(ShortNames.Candidate::reference).toList());
        String digest = "@sha256:" + "b".repeat(64);
        assertEquals("c.example/team/web" + digest, c.candidates("web" + digest).getFirst().reference());
    }

    @Test
    void nothingConfiguredIsNoCandidateAndBadTomlIsOneLine() throws Exception {
        Path empty = Files.writeString(dir.resolve("empty.conf"), "");
        assertEquals(List.of(), ShortNames.read(Map.of("CONTAINERS_REGISTRIES_CONF", empty.toString())).candidates("app"));
        Path bad = Files.writeString(dir.resolve("bad.conf"), "unqualified-search-registries = [\n");
        OciException e = assertThrows(OciException.class, () -> ShortNames.read(Map.of("CONTAINERS_REGISTRIES_CONF", bad.toString())));
        assertTrue(e.getMessage().startsWith(bad + ":"), e.getMessage());
        assertEquals(1, e.getMessage().lines().count());
    }
}
