package runtime.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import runtime.cli.Installation.Mode;
import runtime.cli.Installation.Result;

/** slirp4netns networking with real sockets: forwarded ports, added and removed while the container runs. */
class NetworkIT {
    static Installation strata;

    @BeforeAll
    static void install() throws Exception {
        strata = Installation.get();
    }

    /** The reply of the container's toy HTTP server on host port {@code port}, or null if nothing answers. */
    private static String fetch(int port) {
        return HttpProbe.get(port, "/");
    }

    private static String fetchEventually(int port) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        String reply;
        while ((reply = fetch(port)) == null && System.nanoTime() < deadline) Thread.sleep(100);
        return reply;
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void forwardedPortsReachAServerInTheContainer(Mode mode) throws Exception {
        strata.assumeMode(mode);
        Path data = strata.newStore(mode);
        String id = strata.importBusybox(mode, data);
        Path wd = strata.newWorkDirectory(mode);
        int first = HttpProbe.freePort();
        int second = HttpProbe.freePort();
        String name = "web" + first;
        Process server = strata.start(mode, data, wd, Map.of(), "run", "--isolate", "--name", name, "--net", "slirp4netns",
                "-p", "127.0.0.1:" + first + ":80", id, "sh", "-c",
                "while true; do printf 'HTTP/1.0 200 OK\\r\\n\\r\\nhello from '$(hostname) | nc -l -p 80 >/dev/null; done");
        try {
            String reply = fetchEventually(first);
            assertTrue(reply != null && reply.contains("hello from strata-"), "served through the forwarded port: " + reply
                    + Files.readString(wd.resolve("err")));
            Result ps = strata.strata(mode, data, "ps");
            assertTrue(ps.out().contains(name), ps.out());
            assertEquals(0, strata.strata(mode, data, "port", "add", name, "127.0.0.1:" + second + ":80").exitCode());
            Result ls = strata.strata(mode, data, "port", "ls", name);
            assertEquals(List.of("127.0.0.1:" + first + ":80/tcp", "127.0.0.1:" + second + ":80/tcp"), ls.out().lines().toList());
            assertTrue(fetchEventually(second).contains("hello from"), "the port added at runtime works");
            Result rm = strata.strata(mode, data, "port", "rm", name, "127.0.0.1:" + first + ":80");
            assertEquals(0, rm.exitCode(), rm.err());
            assertEquals(null, fetch(first), "a removed forward no longer answers");
            Result bad = strata.strata(mode, data, "port", "rm", name, "127.0.0.1:" + first + ":80");
            assertEquals(125, bad.exitCode());
            assertEquals("strata: no port forward 127.0.0.1:" + first + ":80/tcp\n", bad.err());
            Result noSuch = strata.strata(mode, data, "port", "ls", "nonexistent");
            assertEquals("strata: no running container 'nonexistent' (strata ps lists them)\n", noSuch.err());
        } finally {
            ProcessHandle jvm = Installation.jvm(server);
            List<ProcessHandle> children = jvm.descendants().toList();
            new ProcessBuilder("kill", "-TERM", Long.toString(jvm.pid())).start().waitFor();
            assertTrue(server.waitFor(30, TimeUnit.SECONDS));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (children.stream().anyMatch(ProcessHandle::isAlive) && System.nanoTime() < deadline) Thread.sleep(50);
            assertTrue(children.stream().noneMatch(ProcessHandle::isAlive), "slirp4netns and the container ended with strata");
        }
        assertTrue(strata.strata(mode, data, "ps").out().lines().count() == 1, "no container listed after it ended");
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void outboundConnectionsGoThroughSlirp(Mode mode) throws Exception {
        strata.assumeMode(mode);
        Path data = strata.newStore(mode);
        String id = strata.importBusybox(mode, data);
        // A host server on a non-loopback address is reachable from the container through slirp's NAT.
        try (ServerSocket host = new ServerSocket()) {
            String address = Files.readAllLines(Path.of("/proc/net/route")).size() > 1 ? hostAddress() : null;
            org.junit.jupiter.api.Assumptions.assumeTrue(address != null, "no non-loopback address on this machine");
            host.bind(new InetSocketAddress(address, 0));
            Thread t = Thread.ofVirtual().start(() -> {
                try (Socket c = host.accept()) {
                    c.getOutputStream().write("from-host\n".getBytes(StandardCharsets.US_ASCII));
                } catch (IOException ignored) {
                    // the assertion below reports it
                }
            });
            Result r = strata.strata(mode, data, "run", "-I", "--net", "slirp4netns", id, "sh", "-c",
                    "nc " + address + " " + host.getLocalPort() + " </dev/null; cat /etc/resolv.conf");
            t.join(10_000);
            assertEquals(List.of("from-host", "nameserver 10.0.2.3"), r.out().lines().toList(), r.err());
        }
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void containersOnANamedNetworkReachEachOtherByName(Mode mode) throws Exception {
        strata.assumeMode(mode);
        Path data = strata.newStore(mode);
        String id = strata.importBusybox(mode, data);
        Path wd = strata.newWorkDirectory(mode);
        String net = "n" + Long.toHexString(System.nanoTime() & 0xffffff);
        Result created = strata.strata(mode, data, "network", "create", net);
        assertEquals(0, created.exitCode(), created.err());
        try {
            assertTrue(strata.strata(mode, data, "network", "ls").out().contains(net));
            Process server = strata.start(mode, data, wd, Map.of(), "run", "-I", "--net", net, "--hostname", "server", id, "sh", "-c",
                    "echo listening; echo pong | nc -l -p 8080");
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (!Files.readString(wd.resolve("out")).contains("listening") && System.nanoTime() < deadline) Thread.sleep(50);
            Result client = strata.strata(mode, data, "run", "-I", "--net", net, "--hostname", "client", id, "sh", "-c",
                    "grep -c server /etc/hosts; nc server 8080 </dev/null");
            assertEquals(List.of("1", "pong"), client.out().lines().toList(), client.err());
            assertTrue(server.waitFor(30, TimeUnit.SECONDS));
            assertEquals(0, server.exitValue(), Files.readString(wd.resolve("err")));
        } finally {
            assertEquals(0, strata.strata(mode, data, "network", "rm", net).exitCode());
        }
        assertTrue(!strata.strata(mode, data, "network", "ls").out().contains(net), "removed");
        Result missing = strata.strata(mode, data, "run", "-I", "--net", "nosuchnet", id, "true");
        assertEquals(125, missing.exitCode());
        assertEquals("strata: no network driver or network 'nosuchnet' (strata drivers, strata network ls)\n", missing.err());
    }

    private static String hostAddress() throws IOException {
        return java.util.Collections.list(java.net.NetworkInterface.getNetworkInterfaces()).stream()
                .filter(n -> {
                    try {
                        return n.isUp() && !n.isLoopback();
                    } catch (IOException e) {
                        return false;
                    }
                })
                .flatMap(n -> java.util.Collections.list(n.getInetAddresses()).stream())
                .filter(a -> a instanceof java.net.Inet4Address).map(java.net.InetAddress::getHostAddress).findFirst().orElse(null);
    }
}
