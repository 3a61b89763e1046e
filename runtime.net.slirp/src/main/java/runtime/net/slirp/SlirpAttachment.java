package runtime.net.slirp;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import runtime.api.net.NetworkAttachment;
import runtime.api.plan.Namespaces;
import runtime.api.plan.SetupOp;
import runtime.api.sys.ErrnoException;
import runtime.api.sys.Posix;
import runtime.api.sys.Spawn;

/**
 * One container's slirp4netns. It is started once the container's network namespace exists (the helper
 * waits at its sync step), is told to exit through its --exit-fd when strata closes the attachment, and
 * also exits by itself if strata dies (the descriptor closes with strata's process).
 */
final class SlirpAttachment implements NetworkAttachment {
    private final Path directory;
    private final List<PortSpec> initialPorts;
    private final Path socket;
    private final Path resolvConf;
    private long slirpPid = -1;
    private int exitFd = -1;

    SlirpAttachment(Path directory, List<PortSpec> ports) {
        this.directory = directory;
        this.initialPorts = ports;
        this.socket = directory.resolve("slirp.sock");
        this.resolvConf = directory.resolve("resolv.conf");
        try {
            Files.createDirectories(directory);
            // slirp4netns forwards DNS at 10.0.2.3 to the host's resolvers (the host's 127.0.0.53 is unreachable).
            Files.writeString(resolvConf, "nameserver 10.0.2.3\n");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public int namespaces() {
        return Namespaces.NET;
    }

    @Override
    public List<SetupOp> setupOps() {
        return List.of(new SetupOp.Bind(resolvConf, Path.of("etc/resolv.conf"), true, false));
    }

    @Override
    public boolean wantsStartedCallback() {
        return true;
    }

    @Override
    public void started(long pid) {
        try {
            int[] exit = Posix.pipe();
            int[] ready = Posix.pipe();
            // Its chatter goes to a log beside its socket, not into the container's output.
            int log = Posix.open(directory.resolve("slirp4netns.log").toString(), Posix.O_WRONLY | Posix.O_CREAT | Posix.O_APPEND, 0600);
            try {
                slirpPid = Spawn.spawn(SlirpNetwork.BINARY.toString(), List.of("slirp4netns", "--configure", "--mtu=65520",
                        "--disable-host-loopback", "--api-socket", socket.toString(), "--exit-fd", "3", "--ready-fd", "4",
                        Long.toString(pid), "tap0"), List.of("PATH=/usr/bin:/bin"),
                        Map.of(3, exit[0], 4, ready[1], 1, log, 2, log));
            } finally {
                Posix.close(exit[0]);
                Posix.close(ready[1]);
                Posix.close(log);
            }
            exitFd = exit[1];
            byte[] b = new byte[1];
            int n = Posix.read(ready[0], b, 1);
            Posix.close(ready[0]);
            if (n != 1) {
                String why = "";
                try {
                    why = Files.readString(directory.resolve("slirp4netns.log")).strip().lines().reduce((first, last) -> last).orElse("");
                } catch (IOException e) {
                    // no log: say what we know
                }
                throw new IllegalStateException("slirp4netns failed to set up the network" + (why.isEmpty() ? "" : ": " + why));
            }
            for (PortSpec p : initialPorts) add(p);
        } catch (ErrnoException e) {
            throw new IllegalStateException("slirp4netns: " + e.getMessage(), e);
        }
    }

    private void add(PortSpec p) {
        try {
            new SlirpApi(socket).addForward(p);
        } catch (IOException e) {
            throw new IllegalStateException("port forward " + p + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        if (exitFd >= 0) {
            Posix.close(exitFd);
            exitFd = -1;
        }
        if (slirpPid > 0) {
            try {
                Posix.waitpid(slirpPid);
            } catch (ErrnoException e) {
                // already reaped
            }
            slirpPid = -1;
        }
        try {
            Files.deleteIfExists(socket);
            Files.deleteIfExists(resolvConf);
        } catch (IOException e) {
            // the state directory is removed by strata anyway
        }
    }
}
