package runtime.core.cgroups;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import runtime.api.Probe;

/**
 * The systemd cgroup manager (podman's and runc's {@code cgroup_manager = "systemd"}): a limited container's
 * group is a transient scope, {@code strata-ID.scope}, that systemd makes through its D-Bus API
 * ({@code StartTransientUnit} with the container's pid, {@code Delegate} and the limits as unit
 * properties), so systemd, which owns the cgroup tree where it runs, knows the group and keeps it. Asked
 * for with {@code STRATA_CGROUP_MANAGER=systemd}; the default, {@code cgroupfs}, is {@link Cgroup}.
 *
 * <p>Where systemd does not run (no /run/systemd/system, as in most containers and CI machines) or, rootless,
 * no user manager answers on the session bus, asking for it is one warning line naming the reason and
 * the container's group is made by cgroupfs: what podman does with cgroup_manager=systemd without a
 * systemd user session. {@code strata drivers} shows the probe.
 */
public final class SystemdScope implements ContainerGroup {
    /** The environment variable that chooses the manager (containers.conf's cgroup_manager). */
    public static final String ENV = "STRATA_CGROUP_MANAGER";
    /** How long {@link #add} waits for systemd to have moved the process into the scope. */
    private static final long MOVE_TIMEOUT_MILLIS = 5000;

    private final String unit;
    private final boolean user;
    private final Limits limits;

    private SystemdScope(String unit, boolean user, Limits limits) {
        this.unit = unit;
        this.user = user;
        this.limits = limits;
    }

    /** The scope for container {@code id}: on the system manager as root, else on the caller's user manager. */
    public static SystemdScope of(String id, boolean rootless, Limits limits) {
        return new SystemdScope("strata-" + id + ".scope", rootless, limits);
    }

    /**
     * Whether {@code env} asks for the systemd manager and it works here; asking for it where it does not
     * is the warning line on {@code warnings}, and false (cgroupfs then, as podman falls back). A value
     * other than cgroupfs or systemd is an error naming the variable.
     */
    public static boolean chosen(Map<String, String> env, boolean rootless, PrintStream warnings) {
        String value = env.getOrDefault(ENV, "");
        if (value.isEmpty() || value.equals("cgroupfs")) return false;
        if (!value.equals("systemd")) throw new IllegalArgumentException(ENV + ": '" + value + "' is not cgroupfs or systemd");
        Probe p = probe(env, rootless);
        if (p.usable()) return true;
        warnings.println("strata: cgroup manager systemd unavailable: " + p.reason() + "; falling back to cgroupfs");
        return false;
    }

    /**
     * Whether systemd can make scopes for this user: systemd is the init system (sd_booted's test: the
     * directory /run/systemd/system exists), its D-Bus client busctl is installed, and the manager's bus
     * is there (the system bus as root; rootless, the user manager's private socket and the session bus).
     */
    public static Probe probe(Map<String, String> env, boolean rootless) {
        return probe(env, rootless, Path.of("/"));
    }

    /** {@link #probe}, with the machine's files below {@code root} (tests give a made-up tree). */
    static Probe probe(Map<String, String> env, boolean rootless, Path root) {
        if (!Files.isDirectory(root.resolve("run/systemd/system"))) {
            return Probe.unusable("systemd is not the init system here (pid 1 is " + initName(root)
                    + ", and there is no /run/systemd/system)");
        }
        if (findBusctl(env, root).isEmpty()) return Probe.unusable("busctl (systemd's D-Bus client) is not on PATH");
        if (!rootless) {
            String address = env.getOrDefault("DBUS_SYSTEM_BUS_ADDRESS", "");
            if (address.isEmpty() && !Files.exists(root.resolve("run/dbus/system_bus_socket"))) {
                return Probe.unusable("no system bus at /run/dbus/system_bus_socket (is dbus running?)");
            }
            return Probe.usable("transient scopes through the system manager's D-Bus API");
        }
        String runtime = env.getOrDefault("XDG_RUNTIME_DIR", "");
        if (runtime.isEmpty()) {
            return Probe.unusable("no systemd user session: XDG_RUNTIME_DIR is not set (log in through a session, "
                    + "or loginctl enable-linger " + env.getOrDefault("USER", "USER") + ")");
        }
        Path dir = root.resolve(runtime.substring(1));
        if (!Files.exists(dir.resolve("systemd/private"))) {
            return Probe.unusable("no systemd user session: no user manager in " + runtime + " (loginctl enable-linger "
                    + env.getOrDefault("USER", "USER") + ")");
        }
        if (env.getOrDefault("DBUS_SESSION_BUS_ADDRESS", "").isEmpty() && !Files.exists(dir.resolve("bus"))) {
            return Probe.unusable("no session bus: DBUS_SESSION_BUS_ADDRESS is not set and " + runtime
                    + "/bus is missing (apt-get install dbus-user-session)");
        }
        return Probe.usable("transient scopes through the user manager's D-Bus API");
    }

    private static String initName(Path root) {
        try {
            return "'" + Files.readString(root.resolve("proc/1/comm")).strip() + "'";
        } catch (IOException e) {
            return "unknown";
        }
    }

    private static Optional<Path> findBusctl(Map<String, String> env, Path root) {
        for (String dir : env.getOrDefault("PATH", "/usr/bin:/bin").split(":")) {
            if (dir.isEmpty() || !dir.startsWith("/")) continue;
            Path p = root.resolve(dir.substring(1)).resolve("busctl");
            if (Files.isExecutable(p)) return Optional.of(p);
        }
        return Optional.empty();
    }

    /**
     * The busctl call that asks systemd for the scope holding {@code pid}: StartTransientUnit(name, mode,
     * properties, aux) with the container's pid, Delegate (strata and the container may manage groups
     * below it, as podman asks) and the limits in systemd's units: MemoryMax in bytes, TasksMax,
     * CPUQuotaPerSecUSec in microseconds of CPU time per second.
     */
    List<String> startCommand(long pid) {
        List<String> properties = new ArrayList<>(List.of("Description", "s", "strata container " + unit,
                "PIDs", "au", "1", Long.toString(pid), "Delegate", "b", "true"));
        limits.memoryBytes().ifPresent(m -> properties.addAll(List.of("MemoryMax", "t", Long.toString(m))));
        limits.pids().ifPresent(n -> properties.addAll(List.of("TasksMax", "t", Long.toString(n))));
        limits.cpus().ifPresent(c -> properties.addAll(List.of("CPUQuotaPerSecUSec", "t", Long.toString(Math.round(c * 1_000_000)))));
        List<String> argv = new ArrayList<>(List.of("busctl", user ? "--user" : "--system", "call", "org.freedesktop.systemd1",
                "/org/freedesktop/systemd1", "org.freedesktop.systemd1.Manager", "StartTransientUnit", "ssa(sv)a(sa(sv))", unit,
                "fail", Integer.toString(propertyCount(properties))));
        argv.addAll(properties);
        argv.add("0");
        return argv;
    }

    /** The number of properties in a busctl list of NAME SIGNATURE VALUE (an au value is a count and the pid: PIDs au 1 PID). */
    private static int propertyCount(List<String> properties) {
        int count = 0;
        for (int i = 0; i < properties.size(); i += properties.get(i + 1).equals("au") ? 4 : 3) count++;
        return count;
    }

    /**
     * Has systemd make the scope with {@code pid} in it and waits until the process is in it (the call
     * returns a job; the move is done when /proc/PID/cgroup names the scope), so the limits hold before
     * the container's command runs.
     */
    @Override
    public void add(long pid) throws IOException {
        Process p = new ProcessBuilder(startCommand(pid)).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).strip();
        try {
            if (p.waitFor() != 0) throw new IOException("systemd refused the scope " + unit + ": " + out);
            long deadline = System.currentTimeMillis() + MOVE_TIMEOUT_MILLIS;
            while (!Files.readString(Path.of("/proc/" + pid + "/cgroup")).contains("/" + unit)) {
                if (System.currentTimeMillis() > deadline) throw new IOException("systemd did not move the container into " + unit);
                Thread.sleep(5);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while systemd made " + unit, e);
        }
    }

    /** Nothing to remove: systemd collects a transient scope when its last process has ended. */
    @Override
    public void remove() {}
}
