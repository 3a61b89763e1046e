package runtime.core.source.oci;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

class WwwAuthenticateTest {
    @Test
    void dockerHubBearerChallenge() {
        List<WwwAuthenticate> c = WwwAuthenticate.parse(
                "Bearer realm=\"https://auth.docker.io/token\",service=\"registry.docker.io\",scope=\"repository:library/alpine:pull,push\"");
        assertEquals(List.of(new WwwAuthenticate("bearer", Map.of("realm", "https://auth.docker.io/token",
                "service", "registry.docker.io", "scope", "repository:library/alpine:pull,push"))), c);
    }

    @Test
    void basicUnquotedEscapedAndSeveralChallenges() {
        List<WwwAuthenticate> c = WwwAuthenticate.parse("Basic realm=\"Registry \\\"main\\\"\", charset=UTF-8, BEARER Realm=http://x/t , Service=s");
        assertEquals(2, c.size());
        assertEquals("basic", c.get(0).scheme());
        assertEquals("Registry \"main\"", c.get(0).param("realm"));
        assertEquals("UTF-8", c.get(0).param("charset"));
        assertEquals("bearer", c.get(1).scheme());
        assertEquals("http://x/t", c.get(1).param("realm"));
        assertEquals("s", c.get(1).param("service"), "parameter names are case-insensitive");
        assertEquals(List.of(new WwwAuthenticate("basic", Map.of())), WwwAuthenticate.parse("Basic"));
        assertEquals(List.of(), WwwAuthenticate.parse(null));
    }

    @Test
    void anUnterminatedQuoteIsAnError() {
        assertThrows(IllegalArgumentException.class, () -> WwwAuthenticate.parse("Bearer realm=\"https://x"));
    }
}
