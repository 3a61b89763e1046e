package runtime.net.slirp;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

import runtime.api.Probe;
import runtime.api.ProbeContext;
import runtime.api.net.NetworkAttachment;
import runtime.api.net.NetworkDriver;
import runtime.api.net.NetworkRequest;
import runtime.api.plan.Namespaces;
import runtime.api.plan.SetupOp;

/**
 * User-mode networking with slirp4netns (Debian package slirp4netns): the container gets its own
 * network namespace with a tap device, outbound connectivity through the host's sockets, a DNS
 * forwarder at 10.0.2.3, and port forwards from the host that can be added and removed while it runs.
 */
public final class SlirpNetwork implements NetworkDriver {
    static final Path BINARY = Path.of("/usr/bin/slirp4netns");

    @Override
    public String name() {
        return "slirp4netns";
    }

    @Override
    public String description() {
        return "user-mode networking (slirp4netns) with port forwards";
    }

    @Override
    public Probe probe(ProbeContext context) {
        if (!Files.isExecutable(BINARY)) return Probe.unusable("slirp4netns is not installed (apt-get install slirp4netns)");
        Path tun = Path.of("/dev/net/tun");
        if (!Files.isReadable(tun) || !Files.isWritable(tun)) {
            return Probe.unusable("/dev/net/tun is not accessible to this user (Debian's default mode is 0666)");
        }
        return context.tryInContainer(List.of(new SetupOp.Unshare(Namespaces.NET), new SetupOp.LoopbackUp()))
                .map(Probe::unusable).orElseGet(() -> Probe.usable("slirp4netns and network namespaces available"));
    }

    @Override
    public NetworkAttachment attach(NetworkRequest request) {
        if (request.stateDirectory() == null) {
            throw new IllegalArgumentException("slirp4netns needs a container state directory (use --isolate)");
        }
        List<PortSpec> ports = request.ports().stream().map(PortSpec::parse).toList();
        ports.forEach(PortSpec::checkBindable);
        return new SlirpAttachment(request.stateDirectory(), ports);
    }

    @Override
    public Optional<PortControl> portControl(Path stateDirectory) {
        Path socket = stateDirectory.resolve("slirp.sock");
        if (!Files.exists(socket)) return Optional.empty();
        SlirpApi api = new SlirpApi(socket);
        return Optional.of(new PortControl() {
            @Override
            public void add(String spec) throws IOException {
                PortSpec p = PortSpec.parse(spec);
                if (api.list().stream().anyMatch(f -> f.spec().equals(p))) {
                    throw new IllegalArgumentException("port forward " + p + " exists already");
                }
                p.checkBindable();
                api.addForward(p);
            }

            @Override
            public void remove(String spec) throws IOException {
                PortSpec p = PortSpec.parse(spec);
                SlirpApi.Forward f = api.list().stream().filter(x -> x.spec().equals(p)).findFirst()
                        .orElseThrow(() -> new IllegalArgumentException("no port forward " + p));
                api.removeForward(f.id());
            }

            @Override
            public List<String> list() throws IOException {
                return api.list().stream().map(f -> f.spec().toString()).toList();
            }
        });
    }
}
