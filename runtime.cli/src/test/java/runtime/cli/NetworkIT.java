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
            // No --hostname: the container's name is its hostname (issue 22: no two containers share a default one).
            assertTrue(reply != null && reply.contains("hello from " + name), "served through the forwarded port: " + reply
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

    /**
     * Issue 22: a manifest on a named network (through the daemon), found by its name and its id though it
     * sets no hostname, with a port forwarded from the host; a container on the network reaches the host
     * outside (through its slirp4netns) and has slirp's DNS forwarder.
     */
    @ParameterizedTest
    @EnumSource(Mode.class)
    void aManifestJoinsANamedNetworkAndIsFoundByNameAndId(Mode mode) throws Exception {
        strata.assumeMode(mode);
        Path data = strata.newStore(mode);
        String id = strata.importBusybox(mode, data);
        Path wd = strata.newWorkDirectory(mode);
        String net = "n" + Long.toHexString(System.nanoTime() & 0xffffff);
        assertEquals(0, strata.strata(mode, data, "network", "create", net).exitCode());
        Path socket = data.resolve("d.sock");
        Map<String, String> env = Map.of("STRATA_SOCKET", socket.toString());
        Process daemon = strata.start(mode, data, wd, env, "serve", "--socket", socket.toString());
        try {
            DaemonIT.awaitListening(socket, wd);
            int published = HttpProbe.freePort();
            Path manifest = Files.writeString(wd.resolve("db.toml"), """
                    image = "%s"
                    name = "db"
                    network = "%s"
                    ports = ["%d:8080"]
                    command = ["sh", "-c", "while true; do echo pong | nc -l -p 8080; done"]
                    """.formatted(id, net, published));
            assertEquals(0, strata.strata(mode, data, wd, env, null, "validate", manifest.toString()).exitCode());
            Result started = strata.strata(mode, data, wd, env, null, "start", manifest.toString());
            assertEquals(0, started.exitCode(), started.err());
            String dbId = started.line();
            // By name and by id, from a container of the CLI (no daemon needed for it); the server may still be starting.
            String address = hostAddress();
            org.junit.jupiter.api.Assumptions.assumeTrue(address != null, "no non-loopback address on this machine");
            try (ServerSocket outside = new ServerSocket()) {
                outside.bind(new InetSocketAddress(address, 0));
                Thread t = Thread.ofVirtual().start(() -> {
                    try (Socket c = outside.accept()) {
                        c.getOutputStream().write("from-outside\n".getBytes(StandardCharsets.US_ASCII));
                    } catch (IOException ignored) {
                        // the assertion below reports it
                    }
                });
                Result client = strata.strata(mode, data, wd, Map.of(), null, "run", "-I", "--net", net, id, "sh", "-c",
                        // db's nc listens again a moment after each answer: each ask retries until it does.
                        "ask() { for i in $(seq 300); do r=$(nc $1 8080 </dev/null) && [ -n \"$r\" ] && break; sleep 0.1; done; echo $r; }; "
                        + "ask db; ask " + dbId + "; grep -c '\\bdb\\b' /etc/hosts; "
                        + "nc " + address + " " + outside.getLocalPort() + " </dev/null; cat /etc/resolv.conf");
                t.join(10_000);
                assertEquals(List.of("pong", "pong", "1", "from-outside", "nameserver 10.0.2.3"), client.out().lines().toList(), client.err());
            }
            assertEquals("pong", firstLine(published), "the forward from the host reaches db");
            assertEquals(List.of("127.0.0.1:" + published + ":8080/tcp"), strata.strata(mode, data, wd, env, null, "port", "ls", "db").out().lines().toList());
            assertEquals(0, strata.strata(mode, data, wd, env, null, "stop", "--timeout", "2", "db").exitCode());
        } finally {
            DaemonIT.stop(daemon);
            assertEquals(0, strata.strata(mode, data, "network", "rm", net).exitCode());
        }
    }

    /**
     * Issue 22: a host port that is taken is refused before the container starts (its command never runs),
     * in one line naming the port; and -p without an address publishes on 127.0.0.1 only.
     */
    @ParameterizedTest
    @EnumSource(Mode.class)
    void aTakenPortIsRefusedBeforeTheContainerStartsAndTheDefaultIsLoopback(Mode mode) throws Exception {
        strata.assumeMode(mode);
        Path data = strata.newStore(mode);
        String id = strata.importBusybox(mode, data);
        try (ServerSocket taken = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            int port = taken.getLocalPort();
            Result clash = strata.strata(mode, data, "run", "-I", "--net", "slirp4netns", "-p", port + ":80", id, "echo", "it-ran");
            assertEquals(125, clash.exitCode());
            assertEquals("", clash.out(), "the container never started");
            assertEquals("strata: port " + port + "/tcp on 127.0.0.1 is not free: another program uses it (choose another host port in 127.0.0.1:"
                    + port + ":80/tcp)\n", clash.err());
        }
        Path wd = strata.newWorkDirectory(mode);
        int port = HttpProbe.freePort();
        String name = "lo" + port;
        Process server = strata.start(mode, data, wd, Map.of(), "run", "-I", "--name", name, "--net", "slirp4netns", "-p", port + ":80",
                id, "sh", "-c", "while true; do printf 'HTTP/1.0 200 OK\\r\\n\\r\\nhello' | nc -l -p 80 >/dev/null; done");
        try {
            assertTrue(fetchEventually(port) != null, "served on 127.0.0.1:" + port + Files.readString(wd.resolve("err")));
            assertEquals(List.of("127.0.0.1:" + port + ":80/tcp"), strata.strata(mode, data, "port", "ls", name).out().lines().toList());
            String address = hostAddress();
            if (address != null) {
                try (Socket s = new Socket()) {
                    s.connect(new InetSocketAddress(address, port), 5000);
                    throw new AssertionError("a default forward answered on " + address + ":" + port);
                } catch (java.net.ConnectException refused) {
                    // published on loopback only: the point
                }
            }
        } finally {
            new ProcessBuilder("kill", "-TERM", Long.toString(Installation.jvm(server).pid())).start().waitFor();
            assertTrue(server.waitFor(30, TimeUnit.SECONDS));
        }
    }

    /** The first line a server on 127.0.0.1:{@code port} sends to a client that sends nothing (retried while it starts). */
    private static String firstLine(int port) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline) {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 2000);
                s.setSoTimeout(10_000);
                s.shutdownOutput();
                String line = new java.io.BufferedReader(new java.io.InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII)).readLine();
                if (line != null) return line;
            } catch (IOException e) {
                // not listening yet
            }
            Thread.sleep(100);
        }
        return null;
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
