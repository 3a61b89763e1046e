package runtime.core.net;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.stream.Stream;

import runtime.api.net.NetworkAttachment;
import runtime.api.plan.Namespaces;
import runtime.api.plan.SetupOp;
import runtime.api.sys.Posix;
import runtime.core.launch.ContainerPlans;
import runtime.core.launch.IdMaps;
import runtime.core.launch.LaunchException;
import runtime.core.launch.Launcher;
import runtime.core.launch.Timings;
import runtime.core.store.PropertiesFiles;
import runtime.core.store.Trees;

/**
 * Named networks for inter-container traffic, rootless: a network is a holder process that owns a
 * network namespace (rootless: and the user namespace around it) with a bridge {@code br0} at
 * 10.89.K.1/24. A container on the network joins the holder's user namespace, makes its own network
 * namespace there, and gets a veth pair: one end on the bridge, the other its {@code eth0} at 10.89.K.N.
 * Containers find each other by hostname, name or id through a shared hosts file. The way out (and DNS,
 * and port forwards from the host) is each container's own slirp4netns beside its {@code eth0}, as for
 * {@code --net slirp4netns}: its default route, while the bridge's /24 stays on {@code eth0}.
 */
public final class BridgeNetworks {
    /** What a network's name may be: it names a directory, and a manifest's network. */
    public static final String NAME = "[a-z0-9][a-z0-9_.-]{0,30}";
    private final Path directory;
    private final IdMaps ids;
    private final Launcher launcher;

    public BridgeNetworks(Path runtimeDirectory, IdMaps ids, Launcher launcher) {
        this.directory = runtimeDirectory.resolve("networks");
        this.ids = ids;
        this.launcher = launcher;
    }

    /** A network's holder and address block. */
    public record Network(String name, long holderPid, int block, Path directory) {
        String prefix() {
            return "10.89." + block + ".";
        }

        Path hosts() {
            return directory.resolve("hosts");
        }
    }

    public synchronized Network create(String name) throws IOException, LaunchException {
        if (!name.matches(NAME)) {
            throw new IllegalArgumentException("bad network name '" + name + "': lower-case letters, digits, _ . -");
        }
        if (find(name).isPresent()) throw new IllegalArgumentException("network " + name + " exists");
        Files.createDirectories(directory);
        int block = 1;
        List<Integer> used = list().stream().map(Network::block).toList();
        while (used.contains(block)) block++;
        if (block > 254) throw new IllegalStateException("no free address block for another network");
        Path dir = Files.createDirectories(directory.resolve(name));
        String ip = ip();
        List<SetupOp> plan = new ArrayList<>();
        plan.add(ContainerPlans.namespaces(ids, Namespaces.NET | Namespaces.MOUNT));
        plan.add(new SetupOp.LoopbackUp());
        plan.add(new SetupOp.RunProgram(List.of(ip, "link", "add", "br0", "type", "bridge")));
        plan.add(new SetupOp.RunProgram(List.of(ip, "addr", "add", "10.89." + block + ".1/24", "dev", "br0")));
        plan.add(new SetupOp.RunProgram(List.of(ip, "link", "set", "br0", "up")));
        // The holder only keeps the namespaces alive; it outlives this strata process.
        plan.add(new SetupOp.Exec(List.of("/bin/sleep", "infinity"), List.of()));
        int devnull;
        try {
            devnull = Posix.open("/dev/null", Posix.O_WRONLY, 0);
        } catch (runtime.api.sys.ErrnoException e) {
            throw new IOException(e.getMessage(), e);
        }
        long pid;
        try {
            pid = launcher.start(plan, () -> 0, new Timings(), Map.of(0, devnull, 1, devnull, 2, devnull)).pid();
        } finally {
            Posix.close(devnull);
        }
        PropertiesFiles.write(dir.resolve("state"), Map.of("pid", Long.toString(pid), "block", Integer.toString(block)));
        Files.writeString(dir.resolve("hosts"), "127.0.0.1 localhost\n");
        return new Network(name, pid, block, dir);
    }

    public synchronized void remove(String name) throws IOException {
        Network n = find(name).orElseThrow(() -> new IllegalArgumentException("no network " + name + " (strata network ls)"));
        try {
            Posix.kill(n.holderPid(), Posix.SIGKILL);
        } catch (runtime.api.sys.ErrnoException e) {
            // gone already
        }
        Trees.deleteRecursively(n.directory());
    }

    /** Networks whose holder still runs; others are removed. */
    public List<Network> list() throws IOException {
        List<Network> result = new ArrayList<>();
        if (!Files.isDirectory(directory)) return result;
        try (Stream<Path> dirs = Files.list(directory)) {
            for (Path dir : dirs.toList()) {
                Properties p;
                try {
                    p = PropertiesFiles.read(dir.resolve("state"));
                } catch (IOException e) {
                    continue;
                }
                long pid = Long.parseLong(p.getProperty("pid"));
                if (ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
                    result.add(new Network(dir.getFileName().toString(), pid, Integer.parseInt(p.getProperty("block")), dir));
                } else {
                    Trees.deleteRecursively(dir);
                }
            }
        }
        return result;
    }

    public Optional<Network> find(String name) throws IOException {
        return list().stream().filter(n -> n.name().equals(name)).findFirst();
    }

    /**
     * A container's place on {@code network}, known by {@code names} (hostname, name, id) in the network's
     * hosts file, with {@code outbound} (slirp4netns) for the way out when there is one.
     */
    public NetworkAttachment attach(Network network, String containerId, List<String> names, Optional<NetworkAttachment> outbound) {
        return new BridgeAttachment(network, containerId, names, outbound);
    }

    private final class BridgeAttachment implements NetworkAttachment {
        private final Network network;
        private final String veth;
        private final List<String> names;
        private final Optional<NetworkAttachment> outbound;
        private String address;

        BridgeAttachment(Network network, String containerId, List<String> names, Optional<NetworkAttachment> outbound) {
            this.network = network;
            this.veth = "vs" + containerId.substring(0, Math.min(10, containerId.length()));
            this.names = names;
            this.outbound = outbound;
        }

        @Override
        public int namespaces() {
            return Namespaces.NET;
        }

        @Override
        public java.util.OptionalLong userNamespaceOf() {
            return java.util.OptionalLong.of(network.holderPid());
        }

        @Override
        public List<SetupOp> setupOps() {
            List<SetupOp> ops = new ArrayList<>(List.of(new SetupOp.Bind(network.hosts(), Path.of("etc/hosts"), true, false)));
            outbound.ifPresent(o -> ops.addAll(o.setupOps()));
            return ops;
        }

        @Override
        public boolean wantsStartedCallback() {
            return true;
        }

        @Override
        public void started(long pid) {
            try {
                address = allocate();
                String ip = ip();
                in(network.holderPid(), ip, "link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", Long.toString(pid));
                in(network.holderPid(), ip, "link", "set", veth, "master", "br0", "up");
                in(pid, ip, "addr", "add", address + "/24", "dev", "eth0");
                in(pid, ip, "link", "set", "eth0", "up");
                in(pid, ip, "link", "set", "lo", "up");
            } catch (IOException e) {
                throw new IllegalStateException("network " + network.name() + ": " + e.getMessage(), e);
            }
            outbound.ifPresent(o -> o.started(pid));
        }

        /** The lowest free host address, recorded with the container's names in the shared hosts file. */
        private String allocate() throws IOException {
            try (runtime.core.store.ExclusiveLock lock = runtime.core.store.ExclusiveLock.acquire(network.directory().resolve("lock"))) {
                List<String> lines = Files.readAllLines(network.hosts());
                for (int host = 2; host < 255; host++) {
                    String candidate = network.prefix() + host;
                    if (lines.stream().noneMatch(l -> l.startsWith(candidate + " "))) {
                        lines.add(candidate + " " + String.join(" ", names));
                        // Rewritten in place, not renamed: containers bind this very file as /etc/hosts.
                        Files.write(network.hosts(), lines);
                        return candidate;
                    }
                }
            }
            throw new IllegalStateException("network " + network.name() + " is full");
        }

        @Override
        public void close() {
            outbound.ifPresent(NetworkAttachment::close);
            if (address == null) return;
            try (runtime.core.store.ExclusiveLock lock = runtime.core.store.ExclusiveLock.acquire(network.directory().resolve("lock"))) {
                List<String> lines = new ArrayList<>(Files.readAllLines(network.hosts()));
                lines.removeIf(l -> l.startsWith(address + " "));
                Files.write(network.hosts(), lines);
            } catch (IOException e) {
                // the network is gone
            }
        }
    }

    /** Runs a host program inside process {@code pid}'s network namespace (and user namespace, rootless). */
    private void in(long pid, String... command) throws IOException {
        List<String> argv = new ArrayList<>(List.of("nsenter", "-t", Long.toString(pid)));
        if (ids.rootless()) argv.addAll(List.of("-U", "--preserve-credentials"));
        argv.add("-n");
        argv.add("--");
        argv.addAll(List.of(command));
        Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        try {
            if (p.waitFor() != 0) throw new IOException(String.join(" ", command) + ": " + out.strip());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }

    private static String ip() {
        for (String candidate : List.of("/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip")) {
            if (Files.isExecutable(Path.of(candidate))) return candidate;
        }
        throw new IllegalStateException("named networks need ip from iproute2 (apt-get install iproute2)");
    }
}
