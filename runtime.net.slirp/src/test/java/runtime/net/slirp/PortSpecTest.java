package runtime.net.slirp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class PortSpecTest {
    @Test
    void parsesDockerStyleForwards() {
        assertEquals(new PortSpec("0.0.0.0", 8080, 80, "tcp"), PortSpec.parse("8080:80"));
        assertEquals(new PortSpec("127.0.0.1", 5353, 53, "udp"), PortSpec.parse("127.0.0.1:5353:53/udp"));
        assertEquals("0.0.0.0:8080:80/tcp", PortSpec.parse("8080:80/tcp").toString());
    }

    @Test
    void rejectsNonsenseWithTheReason() {
        assertEquals("bad port forward '80': want [HOST_IP:]HOST_PORT:CONTAINER_PORT[/tcp|udp]",
                assertThrows(IllegalArgumentException.class, () -> PortSpec.parse("80")).getMessage());
        assertEquals("bad port forward '1:99999': ports are 1-65535",
                assertThrows(IllegalArgumentException.class, () -> PortSpec.parse("1:99999")).getMessage());
        assertEquals("bad port forward '1:2/sctp': protocol must be tcp or udp",
                assertThrows(IllegalArgumentException.class, () -> PortSpec.parse("1:2/sctp")).getMessage());
        assertThrows(IllegalArgumentException.class, () -> PortSpec.parse("x:80"));
    }
}
