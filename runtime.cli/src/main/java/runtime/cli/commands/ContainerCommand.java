package runtime.cli.commands;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;

import org.apache.commons.cli.Option;
import org.apache.commons.cli.Options;

import runtime.api.sys.Posix;
import runtime.api.sys.Signals;
import runtime.cli.Command;
import runtime.cli.Invocation;
import runtime.core.containers.ContainerRecord;
import runtime.core.daemon.DaemonApi;
import runtime.core.daemon.DaemonServer;

/**
 * stop, kill, logs, wait, inspect and delete of a container: through the daemon when one runs, else
 * directly through the container registry (signals to its pid, its RUNTIME/logs file).
 */
public final class ContainerCommand implements Command {
    private final String name;
    private final String summary;
    /** Each command's own options (built afresh for each parse: commons-cli keeps values in them). */
    private final Supplier<Options> options;
    private final List<Item> examples;

    private ContainerCommand(String name, String summary, Supplier<Options> options, Item... examples) {
        this.name = name;
        this.summary = summary;
        this.options = options;
        this.examples = List.of(examples);
    }

    public static ContainerCommand stop() {
        return new ContainerCommand("stop", "stop a container: its image's StopSignal (else SIGTERM), then SIGKILL after --timeout seconds (default 10)",
                () -> new Options().addOption(Option.builder().longOpt("timeout").hasArg().argName("SECONDS")
                        .desc("seconds between SIGTERM and SIGKILL (default 10)").build()),
                new Item("strata stop --timeout 2 web", "ask web to end, and kill it after 2 seconds"),
                new Item("strata stop web db", "stop both; each is named once stopped, a failure is its own line (exit 125)"));
    }

    public static ContainerCommand kill() {
        return new ContainerCommand("kill", "send a signal to a container (--signal N, default 15)",
                () -> new Options().addOption(Option.builder("s").longOpt("signal").hasArg().argName("SIGNAL")
                        .desc("a signal's name or number (default TERM)").build()),
                new Item("strata kill --signal 9 web", "SIGKILL to web's first process"));
    }

    public static ContainerCommand logs() {
        return new ContainerCommand("logs", "print a started container's output (-f follows it)",
                () -> new Options().addOption(Option.builder("f").longOpt("follow").desc("keep printing until the container ends").build()),
                new Item("strata logs -f web", "web's output so far, then as it comes"));
    }

    public static ContainerCommand await() {
        return new ContainerCommand("wait", "wait for a container to end and exit with its code", Options::new,
                new Item("strata wait web; echo $?", "the exit code of web once it ends (through the daemon)"));
    }

    public static ContainerCommand inspect() {
        return new ContainerCommand("inspect", "show a container's state, pid, ports and limits (JSON)", Options::new,
                new Item("strata inspect web", "web's record as one JSON object"));
    }

    public static ContainerCommand delete() {
        return new ContainerCommand("delete", "forget an exited container started through the daemon (--force kills it first)",
                () -> new Options().addOption(Option.builder().longOpt("force").desc("kill a running container first").build()),
                new Item("strata delete --force web", "kill web if it runs, then forget it"));
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public String summary() {
        return summary;
    }

    @Override
    public String arguments() {
        return takesSeveral() ? "CONTAINER..." : "CONTAINER";
    }

    /** stop, kill and delete act on each container named, as podman's stop, kill and rm do. */
    private boolean takesSeveral() {
        return name.equals("stop") || name.equals("kill") || name.equals("delete");
    }

    @Override
    public Options options() {
        return options.get();
    }

    @Override
    public String description() {
        return Command.super.description() + "\n\nCONTAINER is a container's name or id (strata ps lists them)."
                + (takesSeveral() ? " Several may be given: each is named on stdout once done, each failure is a line on stderr,"
                        + " and any failure makes the exit code 125." : "")
                + " When strata serve runs, the command goes through the daemon; without it, it acts directly on the"
                + " containers strata started.";
    }

    @Override
    public List<Item> environment() {
        return List.of(new Item("STRATA_SOCKET", "the daemon's socket (default $XDG_RUNTIME_DIR/strata/strata.sock)"),
                new Item("XDG_RUNTIME_DIR", "where the daemon's socket and the containers' logs are (strata/)"));
    }

    @Override
    public List<Item> exitCodes() {
        if (!name.equals("wait")) return Command.super.exitCodes();
        return List.of(new Item("N", "the container's exit code (through the daemon; 0 without it, the code belongs to its starter)"),
                new Item("2", "wrong usage"), new Item("125", "strata itself failed"));
    }

    @Override
    public List<Item> examples() {
        return examples;
    }

    @Override
    public int run(Invocation in) throws Exception {
        in.argument(0, "CONTAINER");
        if (!takesSeveral()) in.atMost(1); // before, a second container was ignored without a word
        // Values first: a bad one is a usage error whatever the container.
        timeout = in.parsed("timeout", DaemonServer::timeoutSeconds).orElse(10L);
        signal = in.parsed("signal", Signals::parse).orElse(Posix.SIGTERM);
        Optional<DaemonApi> daemon = Daemon.client(in);
        if (!takesSeveral()) return one(in, daemon, in.arguments().getFirst());
        // Each container in turn, named on stdout once done (podman's output, which scripts read); a failure
        // is its own line and does not stop the others, and any failure makes the exit code 125.
        int status = 0;
        for (String ref : in.arguments()) {
            try {
                one(in, daemon, ref);
                in.out().println(ref);
            } catch (Invocation.BadValueException | Invocation.UsageException e) {
                throw e;
            } catch (Exception e) {
                if (in.arguments().size() == 1) throw e;
                in.err().println("strata: " + runtime.cli.Main.message(e));
                status = 125;
            }
        }
        return status;
    }

    private int one(Invocation in, Optional<DaemonApi> daemon, String ref) throws Exception {
        return daemon.isPresent() ? viaDaemon(in, daemon.get(), ref) : direct(in, ref);
    }

    private long timeout;
    private int signal;

    private int viaDaemon(Invocation in, DaemonApi d, String ref) throws Exception {
        switch (name) {
            case "stop" -> d.stop(ref, Long.toString(timeout));
            case "kill" -> d.kill(ref, Integer.toString(signal));
            case "inspect" -> in.out().println(DaemonApi.JSON.writeValueAsString(d.inspect(ref)));
            case "delete" -> d.remove(ref, in.has("force"));
            case "wait" -> {
                return d.waitFor(ref);
            }
            case "logs" -> d.logs(ref, in.has("follow"), in.out());
            default -> throw new IllegalStateException(name);
        }
        return 0;
    }

    private int direct(Invocation in, String ref) throws Exception {
        ContainerRecord c = in.engine().containers().find(ref)
                .orElseThrow(() -> new IllegalArgumentException("no running container '" + ref + "' (strata ps lists them)"));
        switch (name) {
            case "stop" -> {
                Posix.kill(c.pid(), in.engine().stopSignal(c.image())); // the image's StopSignal, as podman
                long deadline = System.nanoTime() + timeout * 1_000_000_000L;
                while (alive(c.pid()) && System.nanoTime() < deadline) Thread.sleep(50);
                if (alive(c.pid())) Posix.kill(c.pid(), Posix.SIGKILL);
            }
            case "kill" -> Posix.kill(c.pid(), signal);
            case "inspect" -> in.out().println(DaemonApi.JSON.writeValueAsString(
                    java.util.Map.of("id", c.id(), "name", c.name(), "image", c.image(), "pid", c.pid(), "state", "running",
                            "network", c.network(), "command", c.command())));
            case "wait" -> {
                while (alive(c.pid())) Thread.sleep(100);
                return 0; // the exit code belongs to the process that started it
            }
            case "logs" -> {
                Path log = Daemon.runtimeDirectory(in).resolve("logs").resolve(c.name() + ".log");
                if (!Files.exists(log)) throw new IllegalArgumentException("no log for " + c.name() + " (only containers started with strata start have one)");
                try (var input = Files.newInputStream(log)) {
                    byte[] buf = new byte[8192];
                    while (true) {
                        int n = input.read(buf);
                        if (n > 0) {
                            in.out().write(buf, 0, n);
                            in.out().flush();
                        } else if (in.has("follow") && alive(c.pid())) {
                            Thread.sleep(100);
                        } else {
                            break;
                        }
                    }
                }
            }
            case "delete" -> throw new IllegalArgumentException("delete is for containers started through the daemon (strata serve)");
            default -> throw new IllegalStateException(name);
        }
        return 0;
    }

    private static boolean alive(long pid) {
        return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
    }
}
