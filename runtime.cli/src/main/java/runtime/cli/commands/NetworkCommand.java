package runtime.cli.commands;

import runtime.cli.Command;
import runtime.cli.Invocation;
import runtime.core.net.BridgeNetworks;

/** {@code strata network create|rm|ls [NAME]}: named networks for containers to reach each other. */
public final class NetworkCommand implements Command {
    @Override
    public String name() {
        return "network";
    }

    @Override
    public String summary() {
        return "create, remove or list named networks (run -I --net NAME; containers reach each other by name)";
    }

    @Override
    public java.util.List<Item> examples() {
        return java.util.List.of(new Item("strata network create backend", "a network whose containers reach each other by name"));
    }

    @Override
    public String arguments() {
        return "create|rm|ls [NAME]";
    }

    @Override
    public int run(Invocation in) throws Exception {
        BridgeNetworks networks = in.engine().networks();
        switch (in.argument(0, "create|rm|ls")) {
            case "create" -> {
                BridgeNetworks.Network n = networks.create(in.argument(1, "NAME"));
                in.out().println(n.name() + " 10.89." + n.block() + ".0/24");
            }
            case "rm" -> networks.remove(in.argument(1, "NAME"));
            case "ls" -> {
                for (BridgeNetworks.Network n : networks.list()) in.out().println(n.name() + " 10.89." + n.block() + ".0/24");
            }
            default -> throw new Invocation.UsageException("unknown action " + in.arguments().getFirst());
        }
        return 0;
    }
}
