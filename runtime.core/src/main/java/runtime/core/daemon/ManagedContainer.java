package runtime.core.daemon;

import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import runtime.core.containers.ContainerRecord;
import runtime.core.launch.Container;

/** A container the daemon started: its record, process, log and (once ended) exit code. */
final class ManagedContainer {
    final ContainerRecord record;
    final Container process;
    final Path log;
    final Instant started = Instant.now();
    final CompletableFuture<Integer> exit = new CompletableFuture<>();
    volatile Instant finished;

    ManagedContainer(ContainerRecord record, Container process, Path log) {
        this.record = record;
        this.process = process;
        this.log = log;
    }

    String state() {
        return exit.isDone() ? "exited" : "running";
    }

    /** What ps and inspect show. */
    java.util.Map<String, Object> summary() {
        var m = new java.util.LinkedHashMap<String, Object>();
        m.put("id", record.id());
        m.put("name", record.name());
        m.put("image", record.image());
        m.put("command", List.copyOf(record.command()));
        m.put("network", record.network());
        m.put("pid", record.pid());
        m.put("state", state());
        m.put("started", started.toString());
        if (exit.isDone()) {
            m.put("exitCode", exit.join());
            m.put("finished", String.valueOf(finished));
        }
        return m;
    }
}
