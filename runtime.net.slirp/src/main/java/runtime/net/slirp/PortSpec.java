package runtime.net.slirp;

/**
 * A port forward {@code [HOST_IP:]HOST_PORT:CONTAINER_PORT[/tcp|udp]}, as docker's -p takes it.
 */
public record PortSpec(String hostAddress, int hostPort, int containerPort, String protocol) {
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
        String address = parts.length == 3 ? parts[0] : "0.0.0.0";
        int host = port(spec, parts[parts.length - 2]);
        int container = port(spec, parts[parts.length - 1]);
        return new PortSpec(address, host, container, proto);
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
