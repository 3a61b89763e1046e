package runtime.core.daemon;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import runtime.api.net.NetworkDriver;
import runtime.api.sys.Posix;
import runtime.core.Engine;
import runtime.core.containers.ContainerRecord;
import runtime.core.launch.Container;
import runtime.core.launch.LaunchException;
import runtime.core.launch.Spawner;
import runtime.core.launch.Timings;
import runtime.core.manifest.Manifest;
import runtime.core.manifest.ManifestRunner;

/**
 * What the daemon does, independent of HTTP: start containers from manifests (detached, output to a
 * log), list, inspect, stop (SIGTERM, then SIGKILL after a timeout), kill, remove, logs, wait, ports.
 * Exited containers stay listed until removed.
 */
public final class ContainerService {
    private final Engine engine;
    private final Path logs;
    private final Map<String, ManagedContainer> containers = new ConcurrentHashMap<>();

    public ContainerService(Engine engine, Path logs) throws IOException {
        this.engine = engine;
        this.logs = Files.createDirectories(logs);
    }

    /** Starts the container a manifest describes; returns its summary (with the id). */
    public Map<String, Object> start(Manifest manifest, Path directory) throws IOException, LaunchException {
        return start(manifest, directory, new Timings());
    }

    /** As {@link #start(Manifest, Path)}, recording its phases in {@code timings} (strata start --debug). */
    public Map<String, Object> start(Manifest manifest, Path directory, Timings timings) throws IOException, LaunchException {
        long t0 = System.nanoTime();
        manifest.name().ifPresent(name -> {
            // A name stays taken until the container is deleted: its log and exit code are still asked for by it.
            if (containers.values().stream().anyMatch(c -> c.record.name().equals(name))) {
                throw new IllegalStateException("name: a container named " + name + " exists (delete it, or give another name)");
            }
        });
        ManifestRunner.Prepared p;
        try {
            p = ManifestRunner.prepare(engine, manifest, directory, new PrintStream(PrintStream.nullOutputStream()));
        } catch (runtime.core.store.StoreException e) {
            // The image the manifest names is not there (or could not be pulled): the request's to fix.
            throw new IllegalArgumentException("image: " + e.getMessage(), e);
        }
        timings.mark("prepare");
        Path log = Files.createTempFile(logs, "container-", ".log");
        Container c;
        // A detached service container: this process spawns it (in the per-user server too, where the
        // invocation's spawner would be the caller's front, whose descendant it must not be); its helper
        // runs from the sealed copy this JVM keeps (HelperBinary.sealedCopy, as every isolated start).
        Spawner caller = Spawner.current();
        Spawner.use(Spawner.LOCAL);
        try {
            c = engine.run(p.image(), p.command(), p.options().detached(log), timings);
        } catch (LaunchException e) {
            Files.deleteIfExists(log);
            // 127 and 126: the manifest's command does not exist or cannot be run; other failures are the daemon's.
            if (e.exitCode() == 127 || e.exitCode() == 126) throw new IllegalArgumentException("command: " + e.getMessage(), e);
            throw e;
        } catch (IllegalArgumentException e) {
            Files.deleteIfExists(log);
            // The registry's "a container named X is running" (one started without the daemon).
            if (manifest.name().isPresent() && e.getMessage() != null && e.getMessage().startsWith("a container named")) {
                throw new IllegalStateException("name: " + e.getMessage(), e);
            }
            throw e;
        } finally {
            Spawner.use(caller);
        }
        // Not yet waited for, so it is still there (a zombie at worst): read its record by id, not every record.
        ContainerRecord record = engine.containers().byId(c.id())
                .orElseThrow(() -> new IllegalStateException("the container ended before it was registered (see " + log + ")"));
        timings.mark("record");
        ManagedContainer m = new ManagedContainer(record, c, log);
        containers.put(record.id(), m);
        // A platform thread: waitpid is a native call, which pins a virtual thread's carrier for the
        // container's whole life, and with as many running containers as cores no virtual thread (another
        // container's waiter, the HTTP API's handlers) would run any more.
        Thread.ofPlatform().daemon().name("wait-" + record.id()).start(() -> {
            int code;
            try {
                code = c.waitFor().shellCode();
            } catch (Exception e) {
                code = 125;
            }
            m.finished = Instant.now();
            m.exit.complete(code);
        });
        Map<String, Object> summary = new LinkedHashMap<>(m.summary());
        // How long the start took inside the daemon (manifest to running process), for benchmarks.
        summary.put("startMillis", (System.nanoTime() - t0) / 1e6);
        return summary;
    }

    public List<Map<String, Object>> list() {
        List<Map<String, Object>> all = new ArrayList<>();
        containers.values().stream().sorted((a, b) -> a.started.compareTo(b.started)).forEach(c -> all.add(c.summary()));
        return all;
    }

    ManagedContainer find(String reference) {
        ManagedContainer byId = containers.get(reference);
        if (byId != null) return byId;
        List<ManagedContainer> matches = containers.values().stream()
                .filter(c -> c.record.name().equals(reference) || c.record.id().startsWith(reference)).toList();
        if (matches.size() == 1) return matches.getFirst();
        if (matches.size() > 1) {
            throw new AmbiguousReferenceException("'" + reference + "' is ambiguous: it matches " + matches.size()
                    + " containers (" + String.join(", ", matches.stream().map(c -> c.record.id()).sorted().toList())
                    + "); give more of the id, or the name");
        }
        throw new NoSuchElementException("no container '" + reference + "'");
    }

    public Map<String, Object> inspect(String reference) throws IOException {
        ManagedContainer c = find(reference);
        Map<String, Object> m = new LinkedHashMap<>(c.summary());
        m.put("log", c.log.toString());
        if (!c.exit.isDone()) {
            Optional<NetworkDriver.PortControl> ports = engine.portControl(c.record.network(), c.record.directory());
            if (ports.isPresent()) m.put("ports", ports.get().list());
            m.put("limits", limitsOf(c));
        }
        return m;
    }

    private static Map<String, String> limitsOf(ManagedContainer c) {
        Map<String, String> r = new LinkedHashMap<>();
        try (var lines = Files.lines(Path.of("/proc", Long.toString(c.record.pid()), "cgroup"))) {
            lines.forEach(l -> {
                String[] f = l.split(":", 3);
                if (f.length == 3 && f[2].contains("strata-")) r.put(f[1].isEmpty() ? "unified" : f[1], f[2]);
            });
        } catch (IOException e) {
            // ended meanwhile
        }
        return r;
    }

    /**
     * The image's StopSignal (SIGTERM when it has none), then SIGKILL when it has not ended after
     * {@code timeoutSeconds}; returns the exit code.
     */
    public int stop(String reference, long timeoutSeconds) throws Exception {
        ManagedContainer c = find(reference);
        if (!c.exit.isDone()) {
            c.process.signal(engine.stopSignal(c.record.image()));
            try {
                return c.exit.get(timeoutSeconds, TimeUnit.SECONDS);
            } catch (java.util.concurrent.TimeoutException e) {
                c.process.signal(Posix.SIGKILL);
            }
        }
        return c.exit.get(30, TimeUnit.SECONDS);
    }

    public void kill(String reference, int signal) throws Exception {
        ManagedContainer c = find(reference);
        if (c.exit.isDone()) throw new IllegalStateException("container " + c.record.name() + " has exited");
        c.process.signal(signal);
    }

    public int waitFor(String reference) throws Exception {
        return find(reference).exit.get();
    }

    /** Forgets an exited container (and its log); {@code force} kills a running one first. */
    public void remove(String reference, boolean force) throws Exception {
        ManagedContainer c = find(reference);
        if (!c.exit.isDone()) {
            if (!force) throw new IllegalStateException("container " + c.record.name() + " is running (stop it, or force)");
            c.process.signal(Posix.SIGKILL);
            c.exit.get(30, TimeUnit.SECONDS);
        }
        containers.remove(c.record.id());
        Files.deleteIfExists(c.log);
    }

    public Path log(String reference) {
        return find(reference).log;
    }

    /**
     * Copies the container's log to {@code out}, flushing each chunk; with {@code follow}, keeps reading
     * until the container has ended and the log is drained.
     */
    public void logs(String reference, boolean follow, java.io.OutputStream out) throws IOException, InterruptedException {
        ManagedContainer c = find(reference);
        byte[] buffer = new byte[16384];
        try (java.io.InputStream in = Files.newInputStream(c.log)) {
            while (true) {
                int n = in.read(buffer);
                if (n > 0) {
                    out.write(buffer, 0, n);
                    out.flush();
                    continue;
                }
                if (!follow) break;
                if (c.exit.isDone()) {
                    // Ended: what it wrote before it ended is all there is.
                    in.transferTo(out);
                    out.flush();
                    break;
                }
                Thread.sleep(100);
            }
        }
    }

    public NetworkDriver.PortControl ports(String reference) {
        ManagedContainer c = find(reference);
        return engine.portControl(c.record.network(), c.record.directory()).orElseThrow(() ->
                new IllegalStateException("container " + c.record.name() + " has no port forwards (network " + c.record.network() + ")"));
    }

    /** Whether a container it started still runs (a server hosting this daemon must not exit then). */
    public boolean running() {
        return containers.values().stream().anyMatch(c -> !c.exit.isDone());
    }

    /** Stops everything (daemon shutdown). */
    public void stopAll() {
        for (ManagedContainer c : containers.values()) {
            try {
                if (!c.exit.isDone()) stop(c.record.id(), 5);
            } catch (Exception e) {
                // shutting down anyway
            }
        }
    }

    /** A reference (an id prefix) that names more than one container. */
    public static final class AmbiguousReferenceException extends IllegalStateException {
        AmbiguousReferenceException(String message) {
            super(message);
        }
    }

    /** A reference that names no container. */
    public static final class NoSuchElementException extends RuntimeException {
        NoSuchElementException(String message) {
            super(message);
        }
    }
}
