package runtime.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import runtime.cli.Installation.Mode;
import runtime.cli.Installation.Result;

/** strata serve and the container commands through it, with real sockets, as root and rootless. */
class DaemonIT {
    @ParameterizedTest
    @EnumSource(Mode.class)
    void containersThroughTheDaemon(Mode mode) throws Exception {
        Installation strata = Installation.get();
        strata.assumeMode(mode);
        Path data = strata.newStore(mode);
        String id = strata.importBusybox(mode, data);
        Path wd = strata.newWorkDirectory(mode);
        Path socket = data.resolve("d.sock");
        Map<String, String> env = Map.of("STRATA_SOCKET", socket.toString());
        Process daemon = strata.start(mode, data, wd, env, "serve", "--socket", socket.toString());
        try {
            awaitListening(socket, wd);
            String perms = PosixFilePermissions.toString(Files.getPosixFilePermissions(socket));
            assertEquals("------", perms.substring(3), "only its owner may connect: " + perms);
            Path manifest = Files.writeString(wd.resolve("svc.toml"), """
                    image = "%s"
                    name = "svc"
                    command = ["sh", "-c", "echo hello-from-svc; trap 'echo bye; exit 7' TERM; while true; do sleep 0.1; done"]
                    """.formatted(id));
            Result started = strata.strata(mode, data, wd, env, null, "start", manifest.toString());
            assertEquals(0, started.exitCode(), started.err());
            assertTrue(started.line().matches("[0-9a-f]{12}"), started.out());
            Result ps = strata.strata(mode, data, wd, env, null, "ps");
            assertTrue(ps.out().contains("svc") && ps.out().contains("running"), ps.out());

            // A client that dies mid-request, and one that sends nonsense, hurt only themselves.
            try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
                ch.connect(UnixDomainSocketAddress.of(socket));
                ch.write(ByteBuffer.wrap("POST /containers HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{\"manif".getBytes()));
            }
            // Bad JSON gets a 400 with a one-line error, and the daemon goes on.
            try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
                ch.connect(UnixDomainSocketAddress.of(socket));
                String body = "{not json";
                ch.write(ByteBuffer.wrap(("POST /containers HTTP/1.0\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: "
                        + body.length() + "\r\n\r\n" + body).getBytes(StandardCharsets.US_ASCII)));
                String reply = new String(java.nio.channels.Channels.newInputStream(ch).readAllBytes(), StandardCharsets.UTF_8);
                assertTrue(reply.startsWith("HTTP/1.1 400") || reply.startsWith("HTTP/1.0 400"), reply);
                assertTrue(reply.contains("\"error\""), reply);
            }
            Result badJson = strata.strata(mode, data, wd, env, null, "inspect", "no-such-container");
            assertEquals(125, badJson.exitCode());
            assertEquals("strata: no container 'no-such-container'\n", badJson.err());

            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            Result logs;
            do {
                logs = strata.strata(mode, data, wd, env, null, "logs", "svc");
            } while (!logs.out().contains("hello-from-svc") && System.nanoTime() < deadline);
            assertEquals("hello-from-svc", logs.line(), logs.err());
            Result inspect = strata.strata(mode, data, wd, env, null, "inspect", "svc");
            assertTrue(inspect.out().contains("\"state\":\"running\""), inspect.out());
            Result stop = strata.strata(mode, data, wd, env, null, "stop", "svc");
            assertEquals(0, stop.exitCode(), stop.err());
            Result waited = strata.strata(mode, data, wd, env, null, "wait", "svc");
            assertEquals(7, waited.exitCode(), "wait exits with the container's code");
            assertEquals(List.of("hello-from-svc", "bye"), strata.strata(mode, data, wd, env, null, "logs", "svc").out().lines().toList());
            Result after = strata.strata(mode, data, wd, env, null, "ps", "-a");
            assertTrue(after.out().contains("exited (7)"), after.out());
            assertFalse(strata.strata(mode, data, wd, env, null, "ps").out().contains("svc"), "ps without -a lists running containers only");
            assertEquals(0, strata.strata(mode, data, wd, env, null, "delete", "svc").exitCode());
            assertEquals(1, strata.strata(mode, data, wd, env, null, "ps").out().lines().count());
        } finally {
            stop(daemon);
        }
        assertTrue(Files.notExists(socket), "and removes its socket");
    }

    /**
     * Attack: root's daemon socket made world-writable (in a directory anyone may enter); another user
     * connects and asks for the containers. The daemon checks the peer (SO_PEERCRED) and answers 403.
     */
    @org.junit.jupiter.api.Test
    void anotherUserIsRefusedEvenWhenTheSocketIsOpen() throws Exception {
        Installation strata = Installation.get();
        strata.assumeMode(Mode.ROOT);
        strata.assumeMode(Mode.ROOTLESS); // the other user
        Path data = strata.newStore(Mode.ROOT);
        Path wd = strata.newWorkDirectory(Mode.ROOT);
        Path socket = wd.resolve("d.sock");
        Process daemon = strata.start(Mode.ROOT, data, wd, Map.of(), "serve", "--socket", socket.toString());
        try {
            awaitListening(socket, wd);
            Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString("rw-rw-rw-"));
            Process curl = new ProcessBuilder(strata.as(Mode.ROOTLESS, data, Map.of(), List.of("curl", "-s", "-w", "\n%{http_code}",
                    "--unix-socket", socket.toString(), "http://strata/containers"))).redirectErrorStream(true).start();
            String reply = new String(curl.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertEquals(0, curl.waitFor(), reply);
            assertEquals(List.of("{\"error\":\"this daemon serves only root\"}", "403"), reply.lines().toList());
            // Its owner is served.
            assertTrue(request(socket, "GET /containers HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 0).startsWith("HTTP/1.1 200"));
        } finally {
            stop(daemon);
        }
    }

    /**
     * Attack (issue 17 item 9): a 100 MB request body (chunked, so no Content-Length to refuse it by), one
     * that declares 100 MB, 1000 headers of 90 bytes and 500 tiny ones. The daemon answers 413 and 431 and its memory stays bounded
     * (an unbounded read kept the whole body: 600 MB became 2.6 GB of RSS).
     */
    @ParameterizedTest
    @EnumSource(Mode.class)
    void oversizedRequestsAreRefusedWithBoundedMemory(Mode mode) throws Exception {
        Installation strata = Installation.get();
        strata.assumeMode(mode);
        Path data = strata.newStore(mode);
        Path wd = strata.newWorkDirectory(mode);
        Path socket = data.resolve("d.sock");
        Process daemon = strata.start(mode, data, wd, Map.of(), "serve", "--socket", socket.toString());
        try {
            long jvm = Installation.jvm(daemon).pid();
            awaitListening(socket, wd);
            assertTrue(request(socket, "GET /version HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 0).startsWith("HTTP/1.1 200"));
            long before = rssKiB(jvm);

            String chunked = request(socket, "POST /containers HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                    + "Content-Type: application/json\r\n\r\n", 100);
            assertTrue(chunked.startsWith("HTTP/1.1 413"), chunked);
            assertTrue(chunked.contains("larger than 1048576 bytes"), chunked);
            String declared = request(socket, "POST /containers HTTP/1.1\r\nHost: x\r\nContent-Length: " + (100L << 20)
                    + "\r\nContent-Type: application/json\r\n\r\n", -100);
            assertTrue(declared.startsWith("HTTP/1.1 413"), declared);
            StringBuilder headers = new StringBuilder("GET /version HTTP/1.1\r\nHost: x\r\n");
            for (int i = 0; i < 1000; i++) headers.append("X-Filler-").append(i).append(": ").append("y".repeat(80)).append("\r\n");
            String many = request(socket, headers.append("\r\n").toString(), 0);
            assertTrue(many.startsWith("HTTP/1.1 431"), "90 KB of headers: " + many);
            StringBuilder small = new StringBuilder("GET /version HTTP/1.1\r\nHost: x\r\n");
            for (int i = 0; i < 500; i++) small.append("X-").append(i).append(": y\r\n");
            String count = request(socket, small.append("Connection: close\r\n\r\n").toString(), 0);
            assertTrue(count.startsWith("HTTP/1.1 431") && count.contains("more than 100 request headers"), count);

            long grown = rssKiB(jvm) - before;
            assertTrue(grown < 64 * 1024, "the daemon's RSS grew by " + grown + " KiB for a 100 MB body");
            assertTrue(request(socket, "GET /version HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 0).startsWith("HTTP/1.1 200"),
                    "the daemon goes on");
        } finally {
            stop(daemon);
        }
    }

    /**
     * Each status code of docs/api.md (413 and 431 in the test above), each client error a 4xx whose line
     * starts with the parameter at fault: the findings of issue 22 (500 for a missing image or command and
     * for signal=999, a 400 for "abc" naming nothing, 400 for a taken name, 404 for an ambiguous prefix,
     * {"manifest": 42} taken as TOML, a relative directory taken).
     */
    @ParameterizedTest
    @EnumSource(Mode.class)
    void everyClientErrorIsA4xxNamingItsParameter(Mode mode) throws Exception {
        Installation strata = Installation.get();
        strata.assumeMode(mode);
        Path data = strata.newStore(mode);
        String id = strata.importBusybox(mode, data);
        Path wd = strata.newWorkDirectory(mode);
        Path socket = data.resolve("d.sock");
        Process daemon = strata.start(mode, data, wd, Map.of(), "serve", "--socket", socket.toString());
        try {
            awaitListening(socket, wd);
            String sleeper = manifest(id, "svc", "while true; do sleep 0.1; done");
            assertReply(200, "{\"api\":1}", call(socket, "GET", "/version", null));
            assertReply(201, "\"name\":\"svc\"", call(socket, "POST", "/containers", sleeper));

            assertReply(400, "body: not JSON", call(socket, "POST", "/containers", "{not json"));
            assertReply(400, "body: must be a JSON object", call(socket, "POST", "/containers", "[1]"));
            assertReply(400, "manifest: the request needs", call(socket, "POST", "/containers", "{}"));
            assertReply(400, "manifest: must be a JSON string (TOML text), not number", call(socket, "POST", "/containers", "{\"manifest\":42}"));
            assertReply(400, "colour: unknown field", call(socket, "POST", "/containers", "{\"manifest\":\"\",\"colour\":1}"));
            assertReply(400, "directory: 'srv' is not an absolute path",
                    call(socket, "POST", "/containers", "{\"manifest\":\"image = \\\"x\\\"\",\"directory\":\"srv\"}"));
            assertReply(400, "manifest: manifest:1:1: ports", call(socket, "POST", "/containers", "{\"manifest\":\"ports = 1\\nimage = \\\"x\\\"\"}"));
            assertReply(400, "image: no image 'no-such-image'", call(socket, "POST", "/containers", manifest("no-such-image", "x", "true")));
            assertReply(400, "command: /no/such/program: command not found", call(socket, "POST", "/containers",
                    "{\"manifest\":\"image = \\\"" + id + "\\\"\\ncommand = [\\\"/no/such/program\\\"]\"}"));
            assertReply(400, "signal: 999 is not a signal number, 1-64", call(socket, "POST", "/containers/svc/kill?signal=999", null));
            assertReply(400, "signal: 'TERMINATE' is not a signal number", call(socket, "POST", "/containers/svc/kill?signal=TERMINATE", null));
            assertReply(400, "timeout: 'abc' is not a whole number of seconds", call(socket, "POST", "/containers/svc/stop?timeout=abc", null));
            assertReply(400, "force: 'yes' is not 0 or 1", call(socket, "DELETE", "/containers/svc?force=yes", null));
            assertReply(400, "tail: unknown parameter", call(socket, "GET", "/containers/svc/logs?tail=5", null));
            assertReply(400, "spec: the request needs", call(socket, "POST", "/containers/svc/ports", "{}"));

            assertReply(404, "no container 'nothing'", call(socket, "GET", "/containers/nothing", null));
            assertReply(404, "no such resource /images", call(socket, "GET", "/images", null));
            assertReply(405, "PUT is not allowed on /containers", call(socket, "PUT", "/containers", null));

            assertReply(409, "name: a container named svc exists", call(socket, "POST", "/containers", sleeper));
            assertReply(409, "is running (stop it, or force)", call(socket, "DELETE", "/containers/svc", null));
            assertReply(409, "has no port forwards", call(socket, "GET", "/containers/svc/ports", null));
            // Containers that exit at once, until two ids share their first digit (17 make that certain):
            // that digit names both, which is a conflict to resolve, not an absent container.
            java.util.Map<Character, String> byFirst = new java.util.HashMap<>();
            String prefix = null;
            for (int i = 0; i < 17 && prefix == null; i++) {
                String reply = call(socket, "POST", "/containers", manifest(id, "quick" + i, "true"));
                assertReply(201, "\"name\":\"quick" + i + "\"", reply);
                java.util.regex.Matcher m = java.util.regex.Pattern.compile("\"id\":\"([0-9a-f]{12})\"").matcher(reply);
                assertTrue(m.find(), reply);
                if (byFirst.putIfAbsent(m.group(1).charAt(0), m.group(1)) != null) prefix = m.group(1).substring(0, 1);
            }
            assertTrue(prefix != null, "17 ids over 16 hex digits share a first digit");
            assertReply(409, "'" + prefix + "' is ambiguous: it matches", call(socket, "GET", "/containers/" + prefix, null));
            assertReply(200, "\"exitCode\":0", call(socket, "POST", "/containers/quick0/wait", null));
            assertReply(409, "container quick0 has exited", call(socket, "POST", "/containers/quick0/kill", null));
            assertReply(200, "\"removed\":\"quick0\"", call(socket, "DELETE", "/containers/quick0", null));
            assertReply(201, "\"name\":\"quick0\"", call(socket, "POST", "/containers", manifest(id, "quick0", "true")));
            assertReply(200, "\"signalled\":\"svc\"", call(socket, "POST", "/containers/svc/kill?signal=9", null));
        } finally {
            stop(daemon);
        }
    }

    /** A POST /containers body: a manifest of image, name and a sh -c script. */
    private static String manifest(String image, String name, String script) throws Exception {
        String toml = "image = \"" + image + "\"\nname = \"" + name + "\"\ncommand = [\"sh\", \"-c\", \"" + script + "\"]\n";
        return new com.fasterxml.jackson.databind.ObjectMapper().writeValueAsString(Map.of("manifest", toml, "directory", "/"));
    }

    /** One request on its own connection; the whole reply (status line, headers, body). */
    private static String call(Path socket, String method, String path, String body) throws Exception {
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.connect(UnixDomainSocketAddress.of(socket));
            byte[] bytes = body == null ? new byte[0] : body.getBytes(StandardCharsets.UTF_8);
            ch.write(ByteBuffer.wrap((method + " " + path + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                    + (body == null ? "" : "Content-Type: application/json\r\nContent-Length: " + bytes.length + "\r\n") + "\r\n")
                    .getBytes(StandardCharsets.US_ASCII)));
            ch.write(ByteBuffer.wrap(bytes));
            return new String(java.nio.channels.Channels.newInputStream(ch).readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    private static void assertReply(int status, String contains, String reply) {
        assertTrue(reply.startsWith("HTTP/1.1 " + status + " "), "expected " + status + " with " + contains + ": " + reply);
        assertTrue(reply.contains(contains), "expected " + contains + ": " + reply);
        assertTrue(!reply.contains("Exception"), "no exception class reaches a client: " + reply);
    }

    /** What {@link #request} appends when the server reset the connection after its answer. */
    private static final String RESET = "(connection reset)";

    /** Waits until a daemon started in {@code wd} listens on {@code socket} (its stderr in the failure). */
    static void awaitListening(Path socket, Path wd) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!Files.exists(socket) && System.nanoTime() < deadline) Thread.sleep(50);
        assertTrue(Files.exists(socket), "the daemon listens: " + Files.readString(wd.resolve("err")));
    }

    /** SIGTERM to a daemon started with Installation.start; it must end within 30 s. */
    static void stop(Process daemon) throws Exception {
        new ProcessBuilder("kill", "-TERM", Long.toString(Installation.jvm(daemon).pid())).start().waitFor();
        assertTrue(daemon.waitFor(30, TimeUnit.SECONDS), "the daemon ends on SIGTERM");
    }

    /**
     * Sends {@code head}, then MiB of body: {@code mib} > 0 as that many 1 MiB chunks (chunked encoding),
     * {@code mib} < 0 as that many raw MiB; stops sending when the server closes. Returns the reply.
     */
    private static String request(Path socket, String head, int mib) throws Exception {
        Thread sender;
        String reply;
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.connect(UnixDomainSocketAddress.of(socket));
            ch.write(ByteBuffer.wrap(head.getBytes(StandardCharsets.US_ASCII)));
            sender = Thread.ofPlatform().start(() -> {
                byte[] mibOfJson = new byte[1 << 20];
                java.util.Arrays.fill(mibOfJson, (byte) ' ');
                try {
                    for (int i = 0; i < Math.abs(mib); i++) {
                        if (mib > 0) ch.write(ByteBuffer.wrap(("100000\r\n").getBytes(StandardCharsets.US_ASCII)));
                        ch.write(ByteBuffer.wrap(mibOfJson));
                        if (mib > 0) ch.write(ByteBuffer.wrap("\r\n".getBytes(StandardCharsets.US_ASCII)));
                    }
                } catch (java.io.IOException e) {
                    // the server answered and closed: the point
                }
            });
            ByteBuffer received = ByteBuffer.allocate(4096);
            String reset = "";
            try {
                while (received.hasRemaining() && ch.read(received) > 0) {
                    if (new String(received.array(), 0, received.position(), StandardCharsets.UTF_8).contains("}")) break;
                }
            } catch (java.net.SocketException e) {
                // The server answered and closed with some of our request unread (too much of it): after its
                // answer, reading reports the reset.
                reset = RESET;
            }
            reply = new String(received.array(), 0, received.position(), StandardCharsets.UTF_8) + reset;
        }
        // Closed: a sender still writing fails now.
        sender.join();
        return reply;
    }

    private static long rssKiB(long pid) throws Exception {
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
            if (line.startsWith("VmRSS:")) return Long.parseLong(line.replaceAll("[^0-9]", ""));
        }
        throw new IllegalStateException("no VmRSS for " + pid);
    }
}
