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
        return "list running containers (-a: exited ones too)";
    }

    @Override
    public java.util.List<Item> examples() {
        return java.util.List.of(new Item("strata ps", "the running containers"),
                new Item("strata ps -a --format '{{.Names}} {{.State}} {{.ExitCode}}'", "every container the daemon knows, exited ones too"),
                new Item("strata ps -q", "the running containers' ids"));
    }

    @Override
    public java.util.List<Item> environment() {
        return java.util.List.of(new Item("STRATA_SOCKET", "the daemon's socket (default $XDG_RUNTIME_DIR/strata/strata.sock)"));
    }

    /** The keys of a container's record, in their order (--format json, template fields). */
    static final java.util.List<String> FIELDS = java.util.List.of("id", "names", "image", "pid", "state", "exitCode", "created", "command");

    @Override
    public org.apache.commons.cli.Options options() {
        return Listing.options(new org.apache.commons.cli.Options(), "containers'")
                .addOption(org.apache.commons.cli.Option.builder("a").longOpt("all").desc("exited containers too (the daemon's)").build());
    }

    @Override
    public int run(Invocation in) throws Exception {
        in.atMost(0);
        Listing listing = Listing.of(in, FIELDS);
        java.util.List<java.util.Map<String, Object>> rows = new java.util.ArrayList<>();
        var daemon = Daemon.client(in);
        java.util.Set<String> known = new java.util.HashSet<>();
        if (daemon.isPresent()) {
            // The daemon also knows the containers it started that have exited, and their codes.
            var list = daemon.get().list();
            for (var c : list) {
                known.add(c.path("id").asText());
                java.util.List<String> command = new java.util.ArrayList<>();
                c.path("command").forEach(a -> command.add(a.asText()));
                rows.add(Listing.row("id", c.path("id").asText(), "names", c.path("name").asText(), "image", c.path("image").asText(),
                        "pid", c.path("pid").asLong(), "state", c.path("state").asText(),
                        "exitCode", c.has("exitCode") ? c.path("exitCode").asInt() : null, "created", c.path("started").asText(""), "command", command));
            }
        }
        // Containers started without the daemon (strata run -I) are running: the registry forgets them as they end.
        java.util.List<java.util.Map<String, Object>> direct = new java.util.ArrayList<>();
        for (ContainerRecord r : in.engine().containers().list()) {
            if (known.contains(r.id())) continue;
            direct.add(Listing.row("id", r.id(), "names", r.name(), "image", r.image(), "pid", r.pid(), "state", "running", "exitCode", null,
                    "created", r.created(), "command", r.command()));
        }
        rows.addAll(0, direct);
        if (!in.has("all")) rows.removeIf(r -> !"running".equals(r.get("state")));
        if (!listing.table()) {
            listing.print(in.out(), rows, "id");
            return 0;
        }
        // The same columns with and without the daemon.
        in.out().printf("%-12s  %-16s  %-12s  %8s  %-10s  %-8s  %s%n", "ID", "NAME", "IMAGE", "PID", "STATE", "UP", "COMMAND");
        for (var r : rows) {
            String state = r.get("state") + (r.get("exitCode") != null ? " (" + r.get("exitCode") + ")" : "");
            String image = String.valueOf(r.get("image"));
            @SuppressWarnings("unchecked")
            java.util.List<String> command = (java.util.List<String>) r.get("command");
            in.out().printf("%-12s  %-16s  %-12s  %8d  %-10s  %-8s  %s%n", r.get("id"), r.get("names"), image.substring(0, Math.min(12, image.length())),
                    (Long) r.get("pid"), state, "running".equals(r.get("state")) ? up(String.valueOf(r.get("created"))) : "-", String.join(" ", command));
        }
        return 0;
    }

    private static String up(String created) {
        try {
            Duration up = Duration.between(Instant.parse(created), Instant.now());
            return up.toSeconds() < 120 ? up.toSeconds() + "s" : up.toMinutes() < 120 ? up.toMinutes() + "m" : up.toHours() + "h";
        } catch (java.time.format.DateTimeParseException e) {
            return "?";
        }
    }
}
