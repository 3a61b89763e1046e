package runtime.cli.commands.oci;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import runtime.api.sys.Posix;

/**
 * {@code spec [--bundle B] [--rootless]}: writes a starting config.json (rootfs "rootfs", {@code sh}, the
 * usual mounts, masked paths and capabilities); rootless, a user namespace mapping the caller to root and
 * no device or cgroup mounts it could not make.
 */
final class OciSpecCommand implements OciSubcommand {
    private static final List<String> CAPS = List.of("CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE");

    @Override
    public List<OciArguments.Flag> flags() {
        return List.of(OciArguments.Flag.value("bundle", "b"), OciArguments.Flag.bool("rootless"));
    }

    @Override
    public int run(OciArguments args, OciContext context) throws Exception {
        Path file = context.path(args.value("bundle").orElse(".")).resolve("config.json");
        if (Files.exists(file)) throw new IllegalArgumentException("File " + file + " exists. Remove it first");
        boolean rootless = args.flag("rootless");
        ObjectNode spec = new ObjectMapper().createObjectNode();
        spec.put("ociVersion", "1.0.2");
        ObjectNode process = spec.putObject("process");
        process.put("terminal", true);
        ObjectNode user = process.putObject("user");
        user.put("uid", 0);
        user.put("gid", 0);
        process.putArray("args").add("sh");
        process.putArray("env").add("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin").add("TERM=xterm");
        process.put("cwd", "/");
        ObjectNode caps = process.putObject("capabilities");
        for (String set : List.of("bounding", "effective", "permitted", "ambient")) {
            ArrayNode a = caps.putArray(set);
            CAPS.forEach(a::add);
        }
        ObjectNode rlimit = process.putArray("rlimits").addObject();
        rlimit.put("type", "RLIMIT_NOFILE");
        rlimit.put("hard", 1024);
        rlimit.put("soft", 1024);
        process.put("noNewPrivileges", true);
        ObjectNode root = spec.putObject("root");
        root.put("path", "rootfs");
        root.put("readonly", true);
        spec.put("hostname", "strata");
        ArrayNode mounts = spec.putArray("mounts");
        mount(mounts, "/proc", "proc", "proc");
        mount(mounts, "/dev", "tmpfs", "tmpfs", "nosuid", "strictatime", "mode=755", "size=65536k");
        mount(mounts, "/dev/pts", "devpts", "devpts", "nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620");
        mount(mounts, "/dev/shm", "tmpfs", "shm", "nosuid", "noexec", "nodev", "mode=1777", "size=65536k");
        mount(mounts, "/dev/mqueue", "mqueue", "mqueue", "nosuid", "noexec", "nodev");
        if (rootless) {
            mount(mounts, "/sys", "none", "/sys", "rbind", "nosuid", "noexec", "nodev", "ro");
        } else {
            mount(mounts, "/sys", "sysfs", "sysfs", "nosuid", "noexec", "nodev", "ro");
            mount(mounts, "/sys/fs/cgroup", "cgroup", "cgroup", "nosuid", "noexec", "nodev", "relatime", "ro");
        }
        ObjectNode linux = spec.putObject("linux");
        if (rootless) {
            idMap(linux.putArray("uidMappings"), Posix.getuid());
            idMap(linux.putArray("gidMappings"), Posix.getgid());
        }
        ArrayNode namespaces = linux.putArray("namespaces");
        for (String ns : rootless ? List.of("pid", "ipc", "uts", "mount", "user") : List.of("pid", "network", "ipc", "uts", "mount")) {
            namespaces.addObject().put("type", ns);
        }
        ArrayNode masked = linux.putArray("maskedPaths");
        for (String p : List.of("/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list",
                "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware", "/proc/scsi")) {
            masked.add(p);
        }
        ArrayNode readonly = linux.putArray("readonlyPaths");
        for (String p : List.of("/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger")) readonly.add(p);
        Files.writeString(file, spec.toPrettyString() + "\n");
        return 0;
    }

    private static void mount(ArrayNode mounts, String destination, String type, String source, String... options) {
        ObjectNode m = mounts.addObject();
        m.put("destination", destination);
        m.put("type", type);
        m.put("source", source);
        ArrayNode o = m.putArray("options");
        for (String option : options) o.add(option);
    }

    private static void idMap(ArrayNode maps, int hostId) {
        ObjectNode m = maps.addObject();
        m.put("containerID", 0);
        m.put("hostID", hostId);
        m.put("size", 1);
    }
}
