package runtime.core.net;

import java.util.List;

import runtime.api.Probe;
import runtime.api.ProbeContext;
import runtime.api.net.NetworkAttachment;
import runtime.api.net.NetworkDriver;
import runtime.api.net.NetworkRequest;
import runtime.api.plan.Namespaces;
import runtime.api.plan.SetupOp;

/** A private network namespace with nothing but a loopback interface. */
public final class NoNetwork implements NetworkDriver {
    @Override
    public String name() {
        return "none";
    }

    @Override
    public String description() {
        return "a private network namespace with only loopback";
    }

    @Override
    public Probe probe(ProbeContext context) {
        return context.tryInContainer(List.of(new SetupOp.Unshare(Namespaces.NET), new SetupOp.LoopbackUp()))
                .map(Probe::unusable).orElseGet(() -> Probe.usable("network namespaces work"));
    }

    @Override
    public NetworkAttachment attach(NetworkRequest request) {
        if (!request.ports().isEmpty()) {
            throw new IllegalArgumentException("--net none has no ports to forward");
        }
        return new NetworkAttachment() {
            @Override
            public int namespaces() {
                return Namespaces.NET;
            }

            @Override
            public List<SetupOp> setupOps() {
                return List.of(new SetupOp.LoopbackUp());
            }
        };
    }
}
