package runtime.cli.commands;

import java.nio.file.Path;
import java.util.Optional;

import runtime.api.sys.Posix;
import runtime.cli.Invocation;
import runtime.core.containers.ContainerRegistry;
import runtime.core.daemon.DaemonClient;
import runtime.core.daemon.DaemonServer;

/** The container commands talk to a running daemon when there is one. */
final class Daemon {
    private Daemon() {}

    static Path runtimeDirectory(Invocation in) {
        return ContainerRegistry.runtimeDirectory(in.env(), Posix.getuid());
    }

    /** A client of the running daemon, if one answers ($STRATA_SOCKET or the default socket). */
    static Optional<DaemonClient> client(Invocation in) {
        String env = in.env().get("STRATA_SOCKET");
        Path socket = env != null && !env.isEmpty() ? in.path(env) : DaemonServer.defaultSocket(runtimeDirectory(in));
        return DaemonClient.alive(socket) ? Optional.of(new DaemonClient(socket)) : Optional.empty();
    }

    /** The reply's body, or its error as a one-line exception. */
    static String check(DaemonClient.Reply reply) {
        if (reply.ok()) return reply.body();
        String message = reply.body();
        try {
            message = new com.fasterxml.jackson.databind.ObjectMapper().readTree(reply.body()).path("error").asText(reply.body());
        } catch (Exception e) {
            // not JSON: show it as it is
        }
        throw new IllegalArgumentException(message);
    }
}
