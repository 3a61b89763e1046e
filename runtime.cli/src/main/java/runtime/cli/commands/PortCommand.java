package runtime.cli.commands;

import runtime.api.net.NetworkDriver;
import runtime.cli.Command;
import runtime.cli.Invocation;
import runtime.core.containers.ContainerRecord;

/** {@code strata port add|rm|ls CONTAINER [SPEC]}: port forwards of a running container. */
public final class PortCommand implements Command {
    @Override
    public String name() {
        return "port";
    }

    @Override
    public String summary() {
        return "add, remove or list port forwards of a running container";
    }

    @Override
    public java.util.List<Item> examples() {
        return java.util.List.of(new Item("strata port add web 127.0.0.1:8443:443", "forward a host port to a running container"));
    }

    @Override
    public String arguments() {
        return "add|rm|ls CONTAINER [[IP:]HOST:CONTAINER[/tcp|udp]]";
    }

    @Override
    public int run(Invocation in) throws Exception {
        String action = in.argument(0, "add|rm|ls");
        String reference = in.argument(1, "CONTAINER");
        ContainerRecord c = in.engine().containers().find(reference)
                .orElseThrow(() -> new IllegalArgumentException("no running container '" + reference + "' (strata ps lists them)"));
        NetworkDriver.PortControl ports = in.engine().portControl(c.network(), c.directory()).orElseThrow(() ->
                new IllegalArgumentException("container " + c.name() + " has no port forwards (its network is " + c.network() + ")"));
        switch (action) {
            case "add" -> ports.add(in.argument(2, "SPEC"));
            case "rm" -> ports.remove(in.argument(2, "SPEC"));
            case "ls" -> ports.list().forEach(in.out()::println);
            default -> throw new Invocation.UsageException("unknown action " + action);
        }
        return 0;
    }
}
