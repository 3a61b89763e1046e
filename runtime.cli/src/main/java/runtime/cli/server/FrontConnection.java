package runtime.cli.server;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;

import runtime.api.sys.Errno;
import runtime.api.sys.ErrnoException;
import runtime.api.sys.Posix;
import runtime.api.sys.UnixSocket;
import runtime.api.sys.WaitStatus;
import runtime.cli.Context;
import runtime.cli.Main;
import runtime.core.launch.Spawner;

/**
 * One front's connection: its invocation runs on a thread of its own against a {@link Context} made of
 * what the front sent, while this thread reads the front's messages (spawn replies, ended children,
 * signals). Containers the command starts are spawned by the front ({@link Spawner} implementation).
 */
final class FrontConnection implements Spawner {
    /** Commands that need the JVM to themselves: the interactive shell, the daemon, the AOT training runs. */
    private static final Set<String> DIRECT = Set.of("shell", "serve");

    private final int socket;
    private final Server server;
    private final Object spawning = new Object();
    private final LinkedBlockingQueue<Integer> spawnReplies = new LinkedBlockingQueue<>();
    private final Map<Long, CompletableFuture<Integer>> exits = new ConcurrentHashMap<>();
    private volatile boolean frontGone;
    /** The thread running the invocation while it runs (null before and after: a pooled thread moves on). */
    private Thread command;
    /** Set once the front hung up mid-command or sent a signal: the command stops, also when it has not begun yet. */
    private boolean cancelled;
    private final java.util.concurrent.CountDownLatch commandDone = new java.util.concurrent.CountDownLatch(1);
    private volatile boolean exitSent;

    FrontConnection(int socket, Server server) {
        this.socket = socket;
        this.server = server;
    }

    /**
     * Reads the invocation and runs it on this thread, while a pooled thread serves the front's messages
     * until it hangs up (the command starts without waiting for another thread to wake up: on a loaded
     * machine each such hand-over is a scheduling delay of its own).
     */
    void serve() {
        int[] stdio = null;
        boolean handedOver = false;
        try {
            UnixSocket.Message first = UnixSocket.receive(socket, Message.MAX);
            if (first == null) return;
            stdio = first.fds();
            Message invoke = Message.decode(first.data());
            if (invoke.kind() != Message.INVOKE || stdio.length != 3) {
                server.log("a front sent message " + invoke.kind() + " with " + stdio.length + " descriptors first: closed");
                return;
            }
            List<String> s = invoke.strings();
            if (!s.get(0).equals(server.buildId())) {
                // Our installation was rebuilt under us: this front belongs to the new one.
                send(Message.strings(Message.DIRECT, List.of("build " + server.buildId() + ", front " + s.get(0))), new int[0]);
                server.retire("a front of build " + s.get(0) + " connected");
                return;
            }
            Context ctx = context(s, stdio);
            if (direct(ctx)) {
                send(Message.strings(Message.DIRECT, List.of("runs in a JVM of its own")), new int[0]);
                return;
            }
            send(new Message(Message.TAKEN, new byte[0]), new int[0]);
            int[] fds = stdio;
            server.threads().execute(() -> follow(fds));
            handedOver = true;
            run(ctx, fds);
        } catch (ErrnoException | RuntimeException e) {
            server.log("connection: " + e.getMessage());
        } finally {
            if (!handedOver) {
                if (stdio != null) for (int fd : stdio) Posix.close(fd);
                Posix.close(socket);
            }
        }
    }

    /** Serves the front's messages until it hangs up; then ends the command if it still runs, and closes. */
    private void follow(int[] stdio) {
        try {
            readMessages();
        } catch (ErrnoException | RuntimeException e) {
            server.log("connection: " + e.getMessage());
        } finally {
            frontGone = true;
            exits.values().forEach(FrontConnection::frontEnded);
            spawnReplies.offer(-Errno.ECHILD);
            // A front gone mid-command is strata's JVM killed, as it was without the server: the
            // command stops (its store work is crash-safe) instead of holding its locks for ever.
            if (!exitSent) interruptCommand();
            try {
                commandDone.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            for (int fd : stdio) Posix.close(fd);
            Posix.close(socket);
        }
    }

    /**
     * Invocations the front runs in a JVM of their own: the commands of {@link #DIRECT}, and those handed
     * descriptors beyond 0-2 (an OCI runtime's --preserve-fds, systemd's LISTEN_FDS), which the front does
     * not pass.
     */
    private static boolean direct(Context ctx) {
        List<String> args = ctx.args();
        if (args.isEmpty() || DIRECT.contains(args.getFirst()) || args.getFirst().startsWith("__")) return true;
        return ctx.env().containsKey("LISTEN_FDS") || args.stream().anyMatch(a -> a.startsWith("--preserve-fds"));
    }

    /** build id, program, cwd, umask, terminals, argc, args..., env... (see {@link Message#INVOKE}). */
    private static Context context(List<String> s, int[] fds) {
        if (s.size() < 6) throw new IllegalArgumentException("an invocation of " + s.size() + " fields");
        String program = s.get(1);
        Path cwd = Path.of(s.get(2));
        int umask = Integer.parseInt(s.get(3), 8);
        String ttys = s.get(4);
        int argc = Integer.parseInt(s.get(5));
        if (argc < 0 || 6 + argc > s.size() || ttys.length() != 3) throw new IllegalArgumentException("a malformed invocation");
        List<String> args = new ArrayList<>(s.subList(6, 6 + argc));
        if (program.equals("strata-oci")) args.addFirst("oci");
        Map<String, String> env = new HashMap<>();
        for (String entry : s.subList(6 + argc, s.size())) {
            int eq = entry.indexOf('=');
            if (eq > 0) env.putIfAbsent(entry.substring(0, eq), entry.substring(eq + 1));
        }
        PrintStream out = new PrintStream(FdStreams.out(fds[1]), true);
        PrintStream err = new PrintStream(FdStreams.out(fds[2]), true);
        Context.Stdio stdio = new Context.Stdio(fds[0], fds[1], fds[2], FdStreams.in(fds[0]), out, err,
                ttys.charAt(0) == '1', ttys.charAt(1) == '1', ttys.charAt(2) == '1');
        return new Context(args, env, cwd, umask, stdio, program);
    }

    /** Interrupts the invocation's thread if it is still running it (never the pooled thread's next task). */
    private void interruptCommand() {
        synchronized (commandDone) {
            cancelled = true;
            if (command != null) command.interrupt();
        }
    }

    /** Runs on a pooled thread of the server (a thread per invocation cost a start of its own, ~0.1 ms). */
    private void run(Context ctx, int[] stdio) {
        Thread self = Thread.currentThread();
        String poolName = self.getName();
        self.setName("strata " + String.join(" ", ctx.args()));
        synchronized (commandDone) {
            command = self;
            if (cancelled) self.interrupt();
        }
        try {
            runCommand(ctx);
        } finally {
            synchronized (commandDone) {
                command = null;
            }
            Thread.interrupted(); // an interrupt meant for this invocation must not reach the thread's next one
            self.setName(poolName);
            commandDone.countDown();
        }
    }

    private void runCommand(Context ctx) {
        server.begin();
        int code = 125;
        try {
            Spawner.use(this);
            // Files the command creates (store layers, exports) get the caller's modes, not the server's.
            Posix.threadUmask(ctx.umask());
            code = Main.run(ctx);
        } catch (ErrnoException | RuntimeException | Error e) {
            ctx.stdio().err().println("strata: " + e.getMessage());
            server.log("invocation " + ctx.args() + ": " + e);
        } finally {
            Spawner.reset();
            ctx.stdio().out().flush();
            ctx.stdio().err().flush();
            exitSent = true;
            try {
                if (!frontGone) send(Message.ints(Message.EXIT, code), new int[0]);
            } catch (ErrnoException e) {
                server.log("exit status to the front: " + e.getMessage());
            }
            server.end();
        }
    }

    private void readMessages() throws ErrnoException {
        while (true) {
            UnixSocket.Message packet = UnixSocket.receive(socket, Message.MAX);
            if (packet == null) return;
            for (int fd : packet.fds()) Posix.close(fd);
            Message m = Message.decode(packet.data());
            switch (m.kind()) {
                case Message.SPAWNED -> spawnReplies.offer(m.intAt(0));
                case Message.CHILD_EXIT -> exitOf(m.intAt(0)).complete(m.intAt(1));
                case Message.SIGNAL -> {
                    // No container to pass it to: stop the command, as the signal would have stopped its own JVM.
                    interruptCommand();
                }
                default -> {
                    server.log("a front sent message " + m.kind() + ": closed");
                    return;
                }
            }
        }
    }

    /**
     * The exit status of the front's child {@code pid}, whichever comes first: its CHILD_EXIT or the
     * command waiting for it. Made after the front ended (its SPAWNED came just before it hung up), it
     * fails at once: the hang-up already failed the ones it found, and this one would wait for ever (a
     * server thread holding a build's DATA/tmp lock, as CrashIT saw once in CI).
     */
    private CompletableFuture<Integer> exitOf(long pid) {
        CompletableFuture<Integer> exit = exits.computeIfAbsent(pid, p -> new CompletableFuture<>());
        if (frontGone) frontEnded(exit);
        return exit;
    }

    private static void frontEnded(CompletableFuture<Integer> exit) {
        exit.completeExceptionally(new ErrnoException("the front ended", Errno.ECHILD));
    }

    private void send(Message m, int[] fds) throws ErrnoException {
        synchronized (this) {
            UnixSocket.send(socket, m.encode(), fds);
        }
    }

    @Override
    public Child spawn(String program, List<String> argv, List<String> env, Map<Integer, Integer> fds) throws ErrnoException {
        List<String> fields = new ArrayList<>();
        fields.add(program);
        fields.add(Integer.toString(argv.size()));
        fields.addAll(argv);
        fields.add(Integer.toString(env.size()));
        fields.addAll(env);
        fields.add(Integer.toString(fds.size()));
        int[] passed = new int[fds.size()];
        int i = 0;
        for (Map.Entry<Integer, Integer> e : fds.entrySet()) {
            fields.add(Integer.toString(e.getKey()));
            passed[i++] = e.getValue();
        }
        int pid;
        synchronized (spawning) {
            if (frontGone) throw new ErrnoException("spawn " + program + ": the front ended", Errno.ECHILD);
            send(Message.strings(Message.SPAWN, fields), passed);
            try {
                pid = spawnReplies.take();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new ErrnoException("spawn " + program, Errno.EINTR);
            }
        }
        if (pid < 0) throw new ErrnoException("start " + program, -pid);
        long childPid = pid;
        CompletableFuture<Integer> exit = exitOf(childPid);
        return new Child() {
            @Override
            public long pid() {
                return childPid;
            }

            @Override
            public WaitStatus waitFor() throws ErrnoException {
                // Not interruptible: like waitpid, a wait ends when the process does (the front relays signals to it).
                boolean interrupted = false;
                try {
                    while (true) {
                        try {
                            return new WaitStatus(exit.get());
                        } catch (InterruptedException e) {
                            interrupted = true;
                        }
                    }
                } catch (ExecutionException e) {
                    throw new ErrnoException("wait for " + childPid + ": the front ended", Errno.ECHILD);
                } finally {
                    exits.remove(childPid);
                    if (interrupted) Thread.currentThread().interrupt();
                }
            }
        };
    }
}
