package runtime.net.slirp;

/**
 * A port forward {@code [HOST_IP:]HOST_PORT:CONTAINER_PORT[/tcp|udp]}, as docker's -p takes it. Without
 * HOST_IP it is published on {@link #DEFAULT_ADDRESS}, 127.0.0.1 (as squish does): a development
 * container is reachable from this machine only unless {@code 0.0.0.0:} asks for every address.
 */
public record PortSpec(String hostAddress, int hostPort, int containerPort, String protocol) {
    public static final String DEFAULT_ADDRESS = "127.0.0.1";

    public static PortSpec parse(String spec) {
        String s = spec;
        String proto = "tcp";
        int slash = s.lastIndexOf('/');
        if (slash >= 0) {
            proto = s.substring(slash + 1);
            s = s.substring(0, slash);
            if (!proto.equals("tcp") && !proto.equals("udp")) throw bad(spec, "protocol must be tcp or udp");
        }
        String[] parts = s.split(":");
        if (parts.length < 2 || parts.length > 3) throw bad(spec, "want [HOST_IP:]HOST_PORT:CONTAINER_PORT[/tcp|udp]");
        String address = parts.length == 3 ? parts[0] : DEFAULT_ADDRESS;
        int host = port(spec, parts[parts.length - 2]);
        int container = port(spec, parts[parts.length - 1]);
        return new PortSpec(address, host, container, proto);
    }

    /**
     * Refuses a forward whose host port is taken (or not ours to bind), by binding it for a moment: the
     * container must not start only for slirp4netns to fail on it afterwards with "add_hostfwd failed".
     */
    public void checkBindable() {
        java.net.InetSocketAddress at = new java.net.InetSocketAddress(hostAddress, hostPort);
        try {
            if (protocol.equals("udp")) {
                new java.net.DatagramSocket(at).close();
            } else {
                try (java.net.ServerSocket s = new java.net.ServerSocket()) {
                    // As slirp4netns binds: a connection in TIME_WAIT on the port is no clash, a listener is.
                    s.setReuseAddress(true);
                    s.bind(at);
                }
            }
        } catch (java.net.BindException e) {
            String why = e.getMessage() != null && e.getMessage().contains("ermission")
                    ? "binding it is not permitted (ports below 1024 need root, or a lower net.ipv4.ip_unprivileged_port_start)"
                    : "another program uses it";
            throw new IllegalArgumentException("port " + hostPort + "/" + protocol + " on " + hostAddress + " is not free: " + why
                    + " (choose another host port in " + this + ")");
        } catch (java.io.IOException e) {
            throw new IllegalArgumentException("port " + hostPort + "/" + protocol + " on " + hostAddress + ": " + e.getMessage());
        }
    }

    private static int port(String spec, String text) {
        try {
            int p = Integer.parseInt(text);
            if (p < 1 || p > 65535) throw bad(spec, "ports are 1-65535");
            return p;
        } catch (NumberFormatException e) {
            throw bad(spec, "'" + text + "' is not a port number");
        }
    }

    private static IllegalArgumentException bad(String spec, String why) {
        return new IllegalArgumentException("bad port forward '" + spec + "': " + why);
    }

    @Override
    public String toString() {
        return hostAddress + ":" + hostPort + ":" + containerPort + "/" + protocol;
    }
}
