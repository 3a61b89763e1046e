package runtime.net.slirp;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/** Client of slirp4netns's API socket: one JSON request per connection, one JSON reply. */
final class SlirpApi {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** A forward as slirp4netns lists it. */
    record Forward(int id, PortSpec spec) {}

    private final Path socket;

    SlirpApi(Path socket) {
        this.socket = socket;
    }

    /** Adds a forward and returns slirp4netns's id for it. */
    int addForward(PortSpec p) throws IOException {
        JsonNode reply = call(Map.of("execute", "add_hostfwd", "arguments", Map.of("proto", p.protocol(),
                "host_addr", p.hostAddress(), "host_port", p.hostPort(), "guest_port", p.containerPort())));
        return result(reply).path("id").asInt();
    }

    void removeForward(int id) throws IOException {
        call(Map.of("execute", "remove_hostfwd", "arguments", Map.of("id", id)));
    }

    List<Forward> list() throws IOException {
        JsonNode reply = call(Map.of("execute", "list_hostfwd"));
        List<Forward> forwards = new ArrayList<>();
        for (JsonNode e : result(reply).path("entries")) {
            forwards.add(new Forward(e.path("id").asInt(), new PortSpec(e.path("host_addr").asText(),
                    e.path("host_port").asInt(), e.path("guest_port").asInt(), e.path("proto").asText())));
        }
        return forwards;
    }

    /** slirp4netns wraps some replies in {"return": ...} and not others (list_hostfwd in 1.2). */
    private static JsonNode result(JsonNode reply) {
        return reply.has("return") ? reply.path("return") : reply;
    }

    private JsonNode call(Map<String, Object> request) throws IOException {
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.connect(UnixDomainSocketAddress.of(socket));
            ch.write(ByteBuffer.wrap(JSON.writeValueAsBytes(request)));
            ch.shutdownOutput();
            JsonNode reply = JSON.readTree(Channels.newInputStream(ch));
            if (reply.has("error")) {
                throw new IOException("slirp4netns: " + reply.path("error").path("desc").asText(reply.path("error").toString()));
            }
            return reply;
        }
    }
}
