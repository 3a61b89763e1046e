package runtime.cli.commands;

import java.nio.file.Path;
import java.util.Optional;

import runtime.api.sys.Posix;
import runtime.cli.Invocation;
import runtime.core.containers.ContainerRegistry;
import runtime.core.daemon.DaemonApi;
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
     * The daemon that answers for this invocation: $STRATA_SOCKET's, else that of a {@code strata serve}
     * on the default socket, else the one the per-user server hosts for the invocation's store
     * ({@link DaemonHost}; called in process when this JVM is that server).
     */
    static Optional<DaemonApi> client(Invocation in) throws Exception {
        return client(in, false);
    }

    /**
     * As {@link #client(Invocation)}; with {@code startHosted}, in the per-user server, its daemon for the
     * invocation's store is started when none answers ({@code strata start}: one warm process, no JVM of
     * its own for the container's supervisor).
     */
    static Optional<DaemonApi> client(Invocation in, boolean startHosted) throws Exception {
        String env = in.env().get("STRATA_SOCKET");
        if (env != null && !env.isEmpty()) return answering(in.path(env));
        Path runtime = runtimeDirectory(in);
        Optional<DaemonApi> serve = answering(DaemonServer.defaultSocket(runtime));
        if (serve.isPresent()) return serve;
        Path store = in.engine().store().data();
        Optional<DaemonHost> host = DaemonHost.current();
        // This JVM hosts it: a Java call, no need to ask whether it answers.
        Optional<DaemonApi> own = host.flatMap(h -> h.hosted(store)).map(DaemonApi::inProcess);
        if (own.isPresent()) return own;
        // Another JVM's (a server retired after a rebuild keeps serving its containers).
        Optional<DaemonApi> other = answering(DaemonHost.socket(runtime, store));
        if (other.isPresent() || !startHosted || host.isEmpty()) return other;
        return Optional.of(DaemonApi.inProcess(host.get().ensure(store, in.env())));
    }

    private static Optional<DaemonApi> answering(Path socket) {
        return DaemonClient.alive(socket) ? Optional.of(DaemonApi.over(socket)) : Optional.empty();
    }
}
