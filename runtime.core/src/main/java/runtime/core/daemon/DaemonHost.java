package runtime.core.daemon;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

import runtime.core.Caller;
import runtime.core.Engine;

/**
 * The daemons the per-user server hosts, so {@code start}, {@code ps}, {@code wait} and the rest cost what
 * {@code run} costs instead of a JVM of their own: one daemon per store (a {@link ContainerService} with
 * the engine of that store and its HTTP API on {@link #socket}), started by the first {@code strata start}
 * for that store and kept while the server lives. Its containers are in the runtime directory's one
 * container registry, as those of {@code strata run -i} and of an explicit {@code strata serve} are.
 *
 * <p>The server's own commands call its daemons in process ({@link DaemonApi#inProcess}); the socket is for
 * everyone else. Only the per-user server {@link #enable}s it; in any other JVM {@link #current()} is empty
 * and the commands reach a hosted daemon, when one listens, over its socket like any client.
 */
public final class DaemonHost {
    private static volatile DaemonHost current;

    private final Path runtimeDirectory;
    private final PrintStream log;
    private final Map<Path, DaemonServer> daemons = new ConcurrentHashMap<>();
    private final Map<Path, ContainerService> services = new ConcurrentHashMap<>();

    private DaemonHost(Path runtimeDirectory, PrintStream log) {
        this.runtimeDirectory = runtimeDirectory;
        this.log = log;
    }

    /** Makes this JVM (the per-user server for {@code runtimeDirectory}) host daemons; notes go to {@code log}. */
    public static synchronized DaemonHost enable(Path runtimeDirectory, PrintStream log) {
        if (current == null) current = new DaemonHost(runtimeDirectory, log);
        return current;
    }

    /** The host of this JVM, when it is the per-user server. */
    public static Optional<DaemonHost> current() {
        return Optional.ofNullable(current);
    }

    /**
     * Where the hosted daemon of {@code store} listens: {@code RUNTIME/daemon-HASH.sock}, HASH naming the
     * store's directory (a socket path has at most 107 bytes, a store's path need not fit).
     */
    public static Path socket(Path runtimeDirectory, Path store) {
        // FNV-1a over the path's bytes: a MessageDigest would cost a cold command its JCA provider look-up.
        long hash = 0xcbf29ce484222325L;
        for (byte b : store.toAbsolutePath().normalize().toString().getBytes(StandardCharsets.UTF_8)) {
            hash = (hash ^ (b & 0xff)) * 0x100000001b3L;
        }
        return runtimeDirectory.resolve("daemon-" + HexFormat.of().toHexDigits(hash) + ".sock");
    }

    /**
     * The daemon of {@code store}, started now if this host has none yet. It works with the
     * environment of the invocation that starts it ({@code env}: STRATA_FS, PATH for slirp4netns, ...),
     * in {@code /}, with no terminal, as {@code strata serve} works with its own.
     */
    public ContainerService ensure(Path store, Map<String, String> env) throws Exception {
        Path key = store.toAbsolutePath().normalize();
        ContainerService running = services.get(key);
        if (running != null) return running;
        synchronized (this) {
            running = services.get(key);
            if (running != null) return running;
            Map<String, String> own = new HashMap<>(env);
            own.put("STRATA_DATA", key.toString()); // a relative one meant the caller's directory
            Engine engine = new Engine(Caller.onOwnDescriptors(own, log));
            ContainerService service = new ContainerService(engine, runtimeDirectory.resolve("logs"));
            DaemonServer server = new DaemonServer(service, socket(runtimeDirectory, key));
            server.start();
            daemons.put(key, server);
            services.put(key, service);
            log.println("hosting the daemon of store " + key + " on " + server.socket());
            return service;
        }
    }

    /** The daemon this host runs for {@code store}, if it runs one. */
    public Optional<ContainerService> hosted(Path store) {
        return Optional.ofNullable(services.get(store.toAbsolutePath().normalize()));
    }

    /** Removes the hosted daemons' sockets (the server is exiting: no client may connect to it meanwhile). */
    public void removeSockets() {
        for (DaemonServer d : daemons.values()) {
            try {
                java.nio.file.Files.deleteIfExists(d.socket());
            } catch (java.io.IOException e) {
                // a stale socket is replaced by the next daemon
            }
        }
    }

    /** Whether a container of a hosted daemon still runs (the server waits for them before it exits). */
    public boolean running() {
        return services.values().stream().anyMatch(ContainerService::running);
    }
}
