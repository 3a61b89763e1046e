package runtime.core.net;

import runtime.api.Probe;
import runtime.api.ProbeContext;
import runtime.api.net.NetworkAttachment;
import runtime.api.net.NetworkDriver;
import runtime.api.net.NetworkRequest;

/** Shares the caller's network, as plash does: no network namespace at all. */
public final class HostNetwork implements NetworkDriver {
    @Override
    public String name() {
        return "host";
    }

    @Override
    public String description() {
        return "share the host's network (no network namespace)";
    }

    @Override
    public Probe probe(ProbeContext context) {
        return Probe.usable("always available");
    }

    @Override
    public NetworkAttachment attach(NetworkRequest request) {
        if (!request.ports().isEmpty()) {
            throw new IllegalArgumentException("port forwards need a private network (--net slirp4netns); host ports are shared already");
        }
        return () -> 0;
    }
}
