package runtime.cli.commands;

import java.nio.file.Path;
import java.util.Optional;

import runtime.api.sys.Posix;
import runtime.cli.Invocation;
import runtime.core.containers.ContainerRegistry;
import runtime.core.daemon.DaemonClient;
import runtime.core.daemon.DaemonHost;
import runtime.core.daemon.DaemonServer;

/** The container commands talk to a running daemon when there is one. */
final class Daemon {
    private Daemon() {}

    static Path runtimeDirectory(Invocation in) {
        return ContainerRegistry.runtimeDirectory(in.env(), Posix.getuid());
    }

    /**
     * A client of the daemon that answers for this invocation: $STRATA_SOCKET's, else that of a
     * {@code strata serve} on the default socket, else the one the per-user server hosts for the
     * invocation's store ({@link DaemonHost}).
     */
    static Optional<DaemonClient> client(Invocation in) throws Exception {
        return client(in, false);
    }

    /**
     * As {@link #client(Invocation)}; with {@code startHosted}, in the per-user server, its daemon for the
     * invocation's store is started when none answers ({@code strata start}: one warm process, no JVM of
     * its own for the container's supervisor).
     */
    static Optional<DaemonClient> client(Invocation in, boolean startHosted) throws Exception {
        String env = in.env().get("STRATA_SOCKET");
        if (env != null && !env.isEmpty()) return answering(in.path(env));
        Path runtime = runtimeDirectory(in);
        Optional<DaemonClient> serve = answering(DaemonServer.defaultSocket(runtime));
        if (serve.isPresent()) return serve;
        Path store = in.engine().store().data();
        Optional<DaemonHost> host = DaemonHost.current();
        // This JVM hosts it: no need to ask whether it answers.
        Optional<Path> own = host.flatMap(h -> h.hosted(store));
        if (own.isPresent()) return Optional.of(new DaemonClient(own.get()));
        // Another JVM's (a server retired after a rebuild keeps serving its containers).
        Optional<DaemonClient> other = answering(DaemonHost.socket(runtime, store));
        if (other.isPresent() || !startHosted || host.isEmpty()) return other;
        return Optional.of(new DaemonClient(host.get().ensure(store, in.env())));
    }

    private static Optional<DaemonClient> answering(Path socket) {
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
