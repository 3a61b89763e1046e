package runtime.cli.commands;

import java.nio.file.Path;

import org.apache.commons.cli.Option;
import org.apache.commons.cli.Options;

import runtime.cli.Command;
import runtime.cli.Invocation;
import runtime.core.containers.ContainerRegistry;
import runtime.core.daemon.ContainerService;
import runtime.core.daemon.DaemonServer;

/** {@code strata serve}: the daemon, on a unix socket in the runtime directory. */
public final class ServeCommand implements Command {
    @Override
    public String name() {
        return "serve";
    }

    @Override
    public String summary() {
        return "run the daemon: a JSON API on a unix socket for start, ps, inspect, stop, kill, logs, wait, ports";
    }

    @Override
    public java.util.List<Item> examples() {
        return java.util.List.of(new Item("strata serve &", "the daemon on $XDG_RUNTIME_DIR/strata/strata.sock"));
    }

    @Override
    public Options options() {
        return new Options().addOption(Option.builder().longOpt("socket").hasArg().argName("PATH")
                .desc("socket path (default: RUNTIME/strata.sock)").build());
    }

    @Override
    public int run(Invocation in) throws Exception {
        Path runtimeDirectory = Daemon.runtimeDirectory(in);
        Path socket = in.path(in.value("socket", DaemonServer.defaultSocket(runtimeDirectory).toString()));
        DaemonServer server = new DaemonServer(new ContainerService(in.engine(), runtimeDirectory.resolve("logs")), socket);
        server.start();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                server.stop();
            } catch (Exception e) {
                // exiting anyway
            }
        }, "strata-daemon-stop"));
        in.err().println("strata: daemon listening on " + socket);
        server.join();
        return 0;
    }
}
