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
    public int run(Invocation in) {
        in.out().printf("%-12s  %-16s  %-12s  %8s  %-10s  %s%n", "ID", "NAME", "IMAGE", "PID", "UP", "COMMAND");
        for (ContainerRecord r : in.engine().containers().list()) {
            Duration up = Duration.between(Instant.parse(r.created()), Instant.now());
            in.out().printf("%-12s  %-16s  %-12s  %8d  %-10s  %s%n", r.id(), r.name(), r.image().substring(0, 12), r.pid(),
                    up.toSeconds() < 120 ? up.toSeconds() + "s" : up.toMinutes() + "m", String.join(" ", r.command()));
        }
        return 0;
    }
}
