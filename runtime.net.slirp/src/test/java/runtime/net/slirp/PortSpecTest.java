package runtime.net.slirp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class PortSpecTest {
    @Test
    void parsesDockerStyleForwards() {
        assertEquals(new PortSpec("127.0.0.1", 8080, 80, "tcp"), PortSpec.parse("8080:80"), "published on loopback unless asked");
        assertEquals(new PortSpec("0.0.0.0", 8080, 80, "tcp"), PortSpec.parse("0.0.0.0:8080:80"));
        assertEquals(new PortSpec("127.0.0.1", 5353, 53, "udp"), PortSpec.parse("127.0.0.1:5353:53/udp"));
        assertEquals("127.0.0.1:8080:80/tcp", PortSpec.parse("8080:80/tcp").toString());
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

    /** A host port another program listens on is refused before any container starts, naming the port. */
    @Test
    void aTakenHostPortIsRefusedNamingIt() throws Exception {
        try (java.net.ServerSocket taken = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            int port = taken.getLocalPort();
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PortSpec.parse(port + ":80").checkBindable());
            assertEquals("port " + port + "/tcp on 127.0.0.1 is not free: another program uses it (choose another host port in 127.0.0.1:"
                    + port + ":80/tcp)", e.getMessage());
        }
        try (java.net.DatagramSocket taken = new java.net.DatagramSocket(0, java.net.InetAddress.getLoopbackAddress())) {
            int port = taken.getLocalPort();
            assertThrows(IllegalArgumentException.class, () -> PortSpec.parse("127.0.0.1:" + port + ":53/udp").checkBindable());
        }
    }
}
