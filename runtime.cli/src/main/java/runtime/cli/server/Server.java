package runtime.cli.server;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributes;
import java.time.Instant;
import java.util.Map;

import runtime.api.sys.ErrnoException;
import runtime.api.sys.Posix;
import runtime.api.sys.UnixSocket;
import runtime.core.containers.ContainerRegistry;
import runtime.core.daemon.DaemonHost;
import runtime.core.store.PrivateDirectory;

/**
 * The per-user strata server ({@code strata __server}, started detached by the native front): a warm JVM
 * that runs the invocations fronts hand it. It listens on {@code RUNTIME/server-BUILD.sock} in the
 * user's runtime directory (the one {@link ContainerRegistry#runtimeDirectory} names, made 0700 and
 * checked: a real directory, the user's, no access for others), serves only peers of its own uid
 * (SO_PEERCRED), and exits after {@code STRATA_SERVER_IDLE} seconds without an invocation (default 300)
 * or once its installation's build id changes. The socket's name carries the build id, so a rebuilt
 * strata's front never reaches an old server (which ends by itself). One server per build and user: a
 * lock file makes a second one started meanwhile exit.
 *
 * <p>It hosts the daemons of {@code strata start} too ({@link DaemonHost}: one per store, started on
 * first use), and does not exit, idle or retired, while a container one of them started runs.
 */
public final class Server {
    static final long DEFAULT_IDLE_SECONDS = 300;

    private final Path directory;
    private final String buildId;
    private final Path dist;
    private final PrintStream log;
    private final long idleNanos;
    private int active;
    private long lastActivity = System.nanoTime();
    private volatile boolean retiring;
    private Path socketPath;
    private Object socketKey;
    /**
     * The threads of invocations, kept between them: each invocation takes two (its front's messages and
     * the command), and starting two platform threads was a tenth of a millisecond or more of every command.
     */
    private final java.util.concurrent.ExecutorService threads =
            java.util.concurrent.Executors.newCachedThreadPool(Thread.ofPlatform().name("invocation-", 0).factory());
    /** The daemons of {@code strata start} and the rest, one per store, in this process. */
    private DaemonHost daemons;

    private Server(Path directory, String buildId, Path dist, PrintStream log, long idleSeconds) {
        this.directory = directory;
        this.buildId = buildId;
        this.dist = dist;
        this.log = log;
        this.idleNanos = idleSeconds * 1_000_000_000L;
    }

    /** Runs the server until it is idle; the exit code of {@code strata __server}. */
    public static int run(Map<String, String> env, PrintStream err) {
        int uid = Posix.getuid();
        Path dir = ContainerRegistry.runtimeDirectory(env, uid);
        Path dist = BuildId.dist();
        String id = dist == null ? null : BuildId.read(dist);
        if (id == null) {
            err.println("strata __server: no build id (run it from a built dist: scripts/mvn package)");
            return 125;
        }
        try {
            PrivateDirectory.ensureClosed(dir);
        } catch (IllegalStateException e) {
            err.println("strata __server: " + e.getMessage());
            return 125;
        }
        long idle = DEFAULT_IDLE_SECONDS;
        String given = env.get("STRATA_SERVER_IDLE");
        if (given != null && !given.isEmpty()) {
            try {
                idle = Long.parseLong(given);
            } catch (NumberFormatException e) {
                err.println("strata __server: STRATA_SERVER_IDLE=" + given + " is not a number of seconds");
                return 2;
            }
        }
        Path logFile = dir.resolve("server.log");
        try (FileChannel lockFile = FileChannel.open(dir.resolve("server-" + id + ".lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
             PrintStream log = new PrintStream(Files.newOutputStream(logFile, StandardOpenOption.CREATE, StandardOpenOption.APPEND), true,
                     StandardCharsets.UTF_8)) {
            FileLock lock = lockFile.tryLock();
            if (lock == null) return 0; // another server of this build serves this user already
            Server server = new Server(dir, id, dist, log, idle);
            // Stray prints of a command must not reach whoever started the server.
            System.setOut(log);
            System.setErr(log);
            return server.serve();
        } catch (IOException e) {
            err.println("strata __server: " + e.getMessage());
            return 125;
        }
    }

    private int serve() throws IOException {
        socketPath = directory.resolve("server-" + buildId + ".sock");
        Path temporary = directory.resolve("server-" + buildId + ".sock." + Posix.getpid());
        Files.deleteIfExists(temporary);
        int listening = UnixSocket.listen(temporary.toString(), 64);
        // Appears whole, replacing a stale one a crashed server left.
        Files.move(temporary, socketPath, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        socketKey = Files.readAttributes(socketPath, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS).fileKey();
        daemons = DaemonHost.enable(directory, log);
        log("server " + Posix.getpid() + " of build " + buildId + " listening on " + socketPath);
        // Killed (SIGTERM, SIGHUP): no new front may connect to a server on its way out.
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            removeSocket();
            daemons.removeSockets();
        }, "strata-server-stop"));
        Thread.ofPlatform().daemon().name("idle").start(this::watchIdle);
        int uid = Posix.getuid();
        java.util.concurrent.CompletableFuture<Integer> ended = new java.util.concurrent.CompletableFuture<>();
        acceptNext(listening, uid, ended);
        return ended.join();
    }

    /**
     * Accepts the next front of our uid and serves it on this thread, once another pooled thread has taken
     * over accepting (leader and followers): the invocation starts without a hand-over to a thread that
     * must first wake up. {@code ended} gets the server's exit code when accepting fails.
     */
    private void acceptNext(int listening, int uid, java.util.concurrent.CompletableFuture<Integer> ended) {
        while (true) {
            int connection;
            try {
                connection = UnixSocket.accept(listening);
            } catch (ErrnoException e) {
                if (!retiring) log("accept: " + e.getMessage());
                ended.complete(retiring ? 0 : 125);
                return;
            }
            int peer;
            try {
                peer = UnixSocket.peerUid(connection);
            } catch (ErrnoException e) {
                peer = -1;
            }
            if (peer != uid) {
                log("refused a connection from uid " + peer + " (this server serves uid " + uid + ")");
                Posix.close(connection);
                continue;
            }
            threads.execute(() -> acceptNext(listening, uid, ended));
            new FrontConnection(connection, this).serve();
            return;
        }
    }

    java.util.concurrent.Executor threads() {
        return threads;
    }

    String buildId() {
        return buildId;
    }

    synchronized void begin() {
        active++;
        lastActivity = System.nanoTime();
    }

    synchronized void end() {
        active--;
        lastActivity = System.nanoTime();
        if (retiring && !busy()) exit("retired");
    }

    /**
     * An invocation runs, or a container a hosted daemon started does (exiting would orphan it and lose
     * its exit code, which {@code strata wait} asks the daemon for).
     */
    private boolean busy() {
        return active > 0 || daemons.running();
    }

    /** Stops taking invocations (the socket goes) and exits when the running ones are done. */
    synchronized void retire(String why) {
        if (!retiring) {
            retiring = true;
            log("retiring: " + why);
            removeSocket();
        }
        if (!busy()) exit("retired");
    }

    private void watchIdle() {
        while (true) {
            try {
                Thread.sleep(1000);
            } catch (InterruptedException e) {
                return;
            }
            if (!buildId.equals(BuildId.read(dist))) retire("the installation changed (build id " + BuildId.read(dist) + ")");
            synchronized (this) {
                if (daemons.running()) lastActivity = System.nanoTime(); // idle counts from its last container's end
                if (retiring && !busy()) exit("retired");
                if (!busy() && System.nanoTime() - lastActivity > idleNanos) {
                    removeSocket();
                    exit("idle for " + idleNanos / 1_000_000_000L + " s");
                }
            }
        }
    }

    /** Removes the socket if it is still ours (a newer server may have replaced it). */
    private void removeSocket() {
        try {
            Object key = Files.readAttributes(socketPath, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS).fileKey();
            if (key.equals(socketKey)) Files.delete(socketPath);
        } catch (IOException e) {
            // gone already
        }
    }

    private void exit(String why) {
        log("exiting: " + why);
        daemons.removeSockets();
        Runtime.getRuntime().halt(0);
    }

    synchronized void log(String line) {
        log.println(Instant.now() + " " + line);
    }
}
