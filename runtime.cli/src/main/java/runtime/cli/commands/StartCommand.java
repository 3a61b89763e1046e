package runtime.cli.commands;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

import com.fasterxml.jackson.databind.JsonNode;

import runtime.cli.Command;
import runtime.cli.Invocation;
import runtime.core.containers.ContainerRecord;
import runtime.core.daemon.DaemonApi;
import runtime.core.launch.Timings;
import runtime.core.manifest.Manifest;
import runtime.core.manifest.ManifestParser;

/**
 * {@code strata start MANIFEST}: starts the container a manifest describes in the background and prints
 * its id. Through the daemon when one runs (in the per-user server, the daemon it hosts for the store,
 * started on first use); otherwise, in a JVM of its own, a detached {@code strata run -f} (output in
 * RUNTIME/logs/NAME.log) supervises it.
 */
public final class StartCommand implements Command {
    @Override
    public String name() {
        return "start";
    }

    @Override
    public String summary() {
        return "start the container a manifest describes, in the background (prints its id)";
    }

    @Override
    public java.util.List<Item> examples() {
        return java.util.List.of(new Item("strata start web.toml", "the manifest's container in the background; prints its id"));
    }

    @Override
    public String arguments() {
        return "MANIFEST";
    }

    @Override
    public org.apache.commons.cli.Options options() {
        return new org.apache.commons.cli.Options().addOption(org.apache.commons.cli.Option.builder().longOpt("debug")
                .desc("print the daemon's start-up phase timings (also STRATA_DEBUG=1)").build());
    }

    @Override
    public int run(Invocation in) throws Exception {
        Path file = in.path(in.argument(0, "MANIFEST"));
        Timings command = new Timings();
        Manifest manifest = ManifestParser.read(file); // fail here, with the file's lines, not in the daemon
        command.mark("parse");
        Optional<DaemonApi> daemon = Daemon.client(in, true);
        command.mark("find the daemon");
        if (daemon.isPresent()) {
            Timings timings = new Timings();
            JsonNode started = daemon.get().start(manifest, file, timings);
            in.out().println(started.path("id").asText());
            if (in.debug()) {
                in.err().println("strata: started " + started.path("id").asText() + " (pid " + started.path("pid").asLong() + ") in "
                        + Timings.millis(Math.round(started.path("startMillis").asDouble() * 1e6)) + " ms"
                        + (timings.totalNanos() > 0 ? ": " + timings : "") + " (the daemon's own time); before it: " + command);
            }
            return 0;
        }
        String name = manifest.name().orElse("c" + Long.toHexString(System.nanoTime()));
        if (in.engine().containers().find(name).isPresent()) throw new IllegalArgumentException("a container named " + name + " is running");
        Path logs = Files.createDirectories(Daemon.runtimeDirectory(in).resolve("logs"));
        Path log = logs.resolve(name + ".log");
        String launcher = System.getProperty("strata.launcher");
        if (launcher == null) throw new IllegalStateException("start without a daemon needs the ./strata launcher (strata.launcher is not set)");
        // setsid: the container must not share our terminal's process group (Ctrl-C here must not stop it).
        // The supervisor runs for the caller: its environment and directory, not this JVM's.
        ProcessBuilder supervisor = new ProcessBuilder(List.of("setsid", launcher, "run", "-f", file.toString(), "--name", name))
                .directory(in.cwd().toFile())
                .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                .redirectErrorStream(true);
        supervisor.environment().clear();
        supervisor.environment().putAll(in.env());
        supervisor.start();
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (System.nanoTime() < deadline) {
            Optional<ContainerRecord> r = in.engine().containers().find(name);
            if (r.isPresent()) {
                in.out().println(r.get().id());
                return 0;
            }
            Thread.sleep(50);
        }
        throw new IllegalStateException("the container did not start: see " + log);
    }
}
