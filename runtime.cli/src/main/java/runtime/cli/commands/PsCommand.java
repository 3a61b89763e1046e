package runtime.cli.commands;

import java.time.Duration;
import java.time.Instant;

import runtime.cli.Command;
import runtime.cli.Invocation;
import runtime.core.containers.ContainerRecord;

public final class PsCommand implements Command {
    @Override
    public String name() {
        return "ps";
    }

    @Override
    public String summary() {
        return "list running isolated containers";
    }

    @Override
    public java.util.List<Item> examples() {
        return java.util.List.of(new Item("strata ps", "the running containers"));
    }

    @Override
    public java.util.List<Item> environment() {
        return java.util.List.of(new Item("STRATA_SOCKET", "the daemon's socket (default $XDG_RUNTIME_DIR/strata/strata.sock)"));
    }

    @Override
    public int run(Invocation in) throws Exception {
        var daemon = Daemon.client(in);
        if (daemon.isPresent()) {
            // The daemon also knows the containers it started that have exited, and their codes.
            var list = daemon.get().list();
            in.out().printf("%-12s  %-16s  %-12s  %8s  %-10s  %s%n", "ID", "NAME", "IMAGE", "PID", "STATE", "COMMAND");
            java.util.Set<String> known = new java.util.HashSet<>();
            list.forEach(c -> known.add(c.path("id").asText()));
            // Containers started without the daemon (strata run -I) are running too.
            for (ContainerRecord r : in.engine().containers().list()) {
                if (known.contains(r.id())) continue;
                in.out().printf("%-12s  %-16s  %-12s  %8d  %-10s  %s%n", r.id(), r.name(), r.image().substring(0, 12), r.pid(),
                        "running", String.join(" ", r.command()));
            }
            for (var c : list) {
                String state = c.path("state").asText() + (c.has("exitCode") ? " (" + c.path("exitCode").asInt() + ")" : "");
                java.util.List<String> command = new java.util.ArrayList<>();
                c.path("command").forEach(a -> command.add(a.asText()));
                in.out().printf("%-12s  %-16s  %-12s  %8d  %-10s  %s%n", c.path("id").asText(), c.path("name").asText(),
                        c.path("image").asText().substring(0, 12), c.path("pid").asLong(), state, String.join(" ", command));
            }
            return 0;
        }
        in.out().printf("%-12s  %-16s  %-12s  %8s  %-10s  %s%n", "ID", "NAME", "IMAGE", "PID", "UP", "COMMAND");
        for (ContainerRecord r : in.engine().containers().list()) {
            Duration up = Duration.between(Instant.parse(r.created()), Instant.now());
            in.out().printf("%-12s  %-16s  %-12s  %8d  %-10s  %s%n", r.id(), r.name(), r.image().substring(0, 12), r.pid(),
                    up.toSeconds() < 120 ? up.toSeconds() + "s" : up.toMinutes() + "m", String.join(" ", r.command()));
        }
        return 0;
    }
}
