package runtime.core.source.oci;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.Optional;

import org.junit.jupiter.api.Test;

class ReferenceTest {
    private static final String D = "sha256:" + "ab".repeat(32);

    @Test
    void dockerHubDefaults() {
        Reference r = Reference.parse("alpine:3.20");
        assertEquals(new Reference("docker.io", "library/alpine", Optional.of("3.20"), Optional.empty()), r);
        assertEquals("registry-1.docker.io", r.apiHost());
        assertEquals("docker.io/library/alpine:3.20", r.canonical());
        assertEquals("3.20", r.manifestReference());
        assertEquals("docker.io/library/alpine:latest", Reference.parse("alpine").canonical());
        assertEquals("docker.io/user/app:latest", Reference.parse("user/app").canonical());
        assertEquals("docker.io/library/alpine:latest", Reference.parse("docker.io/alpine").canonical());
    }

    @Test
    void registriesPortsAndDigests() {
        Reference local = Reference.parse("localhost:5000/x");
        assertEquals("localhost:5000", local.registry());
        assertEquals("x", local.repository(), "no library/ prefix outside Docker Hub");
        assertEquals("latest", local.manifestReference());
        Reference pinned = Reference.parse("127.0.0.1:5000/a/b-c/d_e:v1.2@" + D);
        assertEquals("127.0.0.1:5000", pinned.registry());
        assertEquals("a/b-c/d_e", pinned.repository());
        assertEquals(Optional.of("v1.2"), pinned.tag());
        assertEquals(D, pinned.manifestReference(), "the digest wins over the tag");
        assertEquals("127.0.0.1:5000/a/b-c/d_e@" + D, pinned.canonical());
        assertEquals(Optional.empty(), Reference.parse("ghcr.io/o/r@" + D).tag());
        assertEquals("quay.io", Reference.parse("quay.io/o/r:1").registry());
        assertEquals("[::1]:5000", Reference.parse("[::1]:5000/r").registry());
    }

    @Test
    void badReferencesAreRefusedWithTheReason() {
        for (String bad : new String[] {"", "Alpine", "a//b", "a:b:c", "a@sha256:12", "a:-tag", "/x", "x/", "a b"}) {
            Exception e = assertThrows(RuntimeException.class, () -> Reference.parse(bad), bad);
            assertTrue(e.getMessage().contains(bad.isEmpty() ? "empty" : "'" + bad + "'"), e.getMessage());
        }
    }

    @Test
    void plainHttpOnlyForLoopbackAndListedRegistries() {
        assertTrue(RegistryClient.insecure("localhost:5000", Map.of()));
        assertTrue(RegistryClient.insecure("127.0.0.1:5000", Map.of()));
        assertTrue(RegistryClient.insecure("[::1]:5000", Map.of()));
        assertFalse(RegistryClient.insecure("registry.example:5000", Map.of()));
        Map<String, String> env = Map.of("STRATA_INSECURE_REGISTRIES", "registry.example:5000, other.lan");
        assertTrue(RegistryClient.insecure("registry.example:5000", env));
        assertFalse(RegistryClient.insecure("registry.example:6000", env));
        assertTrue(RegistryClient.insecure("other.lan:443", env), "a host without port covers all its ports");
    }
}
