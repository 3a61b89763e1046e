package runtime.core.launch;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

import runtime.api.sys.ErrnoException;
import runtime.api.sys.Posix;

/**
 * Finds the FUSE daemons strata's drivers started, by their command line: the program is a known FUSE
 * filesystem and an argument names a path of the store (layers, upper directory). A daemon normally ends
 * with its container (the helper gives it a parent-death signal); one that did not, e.g. because the
 * signal was lost, is <em>stale</em>: its parent is no longer the container's process. {@code strata
 * clean} uses {@link #stale} and {@link #kill}; the builder uses {@link #awaitGone} so that no daemon
 * still writes an upper directory that is about to become a layer.
 */
public final class FuseDaemons {
    /** Programs the FUSE drivers run; a third-party FUSE driver's program is not recognised. */
    public static final Set<String> PROGRAMS = Set.of("fuse-overlayfs", "unionfs-fuse", "unionfs");

    /** One daemon: its pid, parent pid and argv. */
    public record Daemon(long pid, long parent, List<String> argv) {}

    private static final Path PROC = Path.of("/proc");

    private FuseDaemons() {}

    /** The live FUSE daemons of known programs with an argument containing {@code path}. */
    public static List<Daemon> find(Path path) {
        String needle = path.toAbsolutePath().normalize().toString();
        List<Daemon> found = new ArrayList<>();
        try (DirectoryStream<Path> procs = Files.newDirectoryStream(PROC, p -> p.getFileName().toString().chars().allMatch(Character::isDigit))) {
            for (Path proc : procs) {
                try {
                    byte[] raw = Files.readAllBytes(proc.resolve("cmdline"));
                    if (raw.length == 0) continue; // a zombie or kernel thread
                    List<String> argv = Arrays.asList(new String(raw, StandardCharsets.UTF_8).split("\0"));
                    String program = Path.of(argv.getFirst()).getFileName().toString();
                    if (!PROGRAMS.contains(program)) continue;
                    if (argv.stream().skip(1).noneMatch(a -> names(a, needle))) continue;
                    found.add(new Daemon(Long.parseLong(proc.getFileName().toString()), parentOf(proc), List.copyOf(argv)));
                } catch (IOException | RuntimeException gone) {
                    // the process ended while we looked, or is not ours to read
                }
            }
        } catch (IOException e) {
            return found;
        }
        return found;
    }

    /**
     * Daemons of {@code storeData} whose container has ended. The helper starts each daemon under a keeper
     * process (a copy of strata-helper) whose parent is the container's process, in the same mount
     * namespace. A daemon is stale when its parent is not such a keeper (it was orphaned), or when the
     * keeper's parent is init or a process of another mount namespace (the container's process is gone
     * and the keeper was adopted, e.g. by a subreaper).
     */
    public static List<Daemon> stale(Path storeData) {
        List<Daemon> result = new ArrayList<>();
        for (Daemon d : find(storeData)) {
            if (isStale(d)) result.add(d);
        }
        return result;
    }

    private static boolean isStale(Daemon d) {
        Path keeper = PROC.resolve(Long.toString(d.parent()));
        try {
            byte[] raw = Files.readAllBytes(keeper.resolve("cmdline"));
            String first = new String(raw, StandardCharsets.UTF_8).split("\0", 2)[0];
            if (d.parent() <= 1 || !Path.of(first.isEmpty() ? "?" : first).getFileName().toString().equals(KEEPER)) return true;
            long container = parentOf(keeper);
            if (container <= 1) return true;
            String keeperNs = mountNamespace(d.parent());
            String containerNs = mountNamespace(container);
            return keeperNs != null && containerNs != null && !keeperNs.equals(containerNs);
        } catch (IOException | RuntimeException e) {
            return false; // the parent ended while we looked: ask again later
        }
    }

    /** The name the helper's keeper process runs under (it is a fork of the helper, never exec'd). */
    static final String KEEPER = "strata-helper";

    /** Sends {@code signal} to each daemon; returns how many got it. */
    public static int kill(List<Daemon> daemons, int signal) {
        int n = 0;
        for (Daemon d : daemons) {
            try {
                if (Posix.kill(d.pid(), signal)) n++;
            } catch (ErrnoException e) {
                // ended meanwhile, or another user's
            }
        }
        return n;
    }

    /**
     * Waits until no daemon names {@code path} (its parent-death signal is on its way when the container
     * has ended); after {@code timeout}, kills the rest with SIGKILL and waits a little more.
     */
    public static void awaitGone(Path path, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        boolean killed = false;
        while (true) {
            List<Daemon> left = find(path);
            if (left.isEmpty()) return;
            if (System.nanoTime() > deadline) {
                if (killed) return;
                kill(left, Posix.SIGKILL);
                killed = true;
                deadline = System.nanoTime() + Duration.ofSeconds(2).toNanos();
            }
            try {
                Thread.sleep(2);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** Whether {@code arg} holds {@code path} or a path below it (not merely a longer name like path2). */
    static boolean names(String arg, String path) {
        for (int i = arg.indexOf(path); i >= 0; i = arg.indexOf(path, i + 1)) {
            int end = i + path.length();
            if (end == arg.length() || "/,:=".indexOf(arg.charAt(end)) >= 0) return true;
        }
        return false;
    }

    private static long parentOf(Path proc) throws IOException {
        String stat = Files.readString(proc.resolve("stat"));
        // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so parse after the last ')'
        String[] rest = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        if (rest[0].equals("Z")) throw new IOException("zombie");
        return Long.parseLong(rest[1]);
    }

    private static String mountNamespace(long pid) {
        try {
            return Files.readSymbolicLink(PROC.resolve(Long.toString(pid)).resolve("ns/mnt")).toString();
        } catch (IOException | UnsupportedOperationException e) {
            return null;
        }
    }
}
