package runtime.core.oci;

import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * A config.json's {@code linux.resources} as the cgroup files to write, in order, as data: values as
 * given (shares, the quota's own period, cpuset, memory reservation/swap/swappiness/OOM killer, pids,
 * blkio, hugetlb, net_cls/net_prio). {@link OciRuntime} writes them into the container's group and
 * refuses a config whose controller or file this host lacks, as runc does (its write fails there too).
 */
final class CgroupSettings {
    /**
     * One value for one file of one controller; {@code field} names the setting for an error message.
     * {@code skippable}: left out where the host has no such file (as runc skips memsw without swap accounting).
     */
    record Write(String controller, String file, String value, String field, boolean skippable) {
        Write(String controller, String file, String value, String field) {
            this(controller, file, value, field, false);
        }
    }

    private CgroupSettings() {}

    /** The writes for cgroup v1: one hierarchy per controller. */
    static List<Write> v1(JsonNode r) {
        List<Write> w = new ArrayList<>();
        JsonNode cpu = r.path("cpu");
        text(w, cpu, "cpus", "cpuset", "cpuset.cpus");
        text(w, cpu, "mems", "cpuset", "cpuset.mems");
        JsonNode memory = r.path("memory");
        // The limit before its memory+swap one: the kernel keeps memsw >= limit.
        number(w, memory, "limit", "memory", "memory.limit_in_bytes");
        if (memory.path("swap").isNumber()) {
            w.add(new Write("memory", "memory.memsw.limit_in_bytes", Long.toString(memory.path("swap").asLong()), "memory.swap", true));
        }
        number(w, memory, "reservation", "memory", "memory.soft_limit_in_bytes");
        number(w, memory, "kernelTCP", "memory", "memory.kmem.tcp.limit_in_bytes");
        if (memory.path("swappiness").isNumber()) {
            long s = memory.path("swappiness").asLong();
            if (s < 0 || s > 100) throw new IllegalArgumentException("config.json: linux.resources.memory.swappiness " + s + " is not within 0-100");
            w.add(new Write("memory", "memory.swappiness", Long.toString(s), "memory.swappiness"));
        }
        if (memory.path("disableOOMKiller").asBoolean(false)) w.add(new Write("memory", "memory.oom_control", "1", "memory.disableOOMKiller"));
        number(w, cpu, "shares", "cpu", "cpu.shares");
        number(w, cpu, "period", "cpu", "cpu.cfs_period_us");
        number(w, cpu, "quota", "cpu", "cpu.cfs_quota_us");
        number(w, cpu, "realtimePeriod", "cpu", "cpu.rt_period_us");
        number(w, cpu, "realtimeRuntime", "cpu", "cpu.rt_runtime_us");
        pids(w, r, "pids.max");
        JsonNode blkio = r.path("blockIO");
        number(w, blkio, "weight", "blkio", "blkio.weight");
        number(w, blkio, "leafWeight", "blkio", "blkio.leaf_weight");
        for (JsonNode d : blkio.path("weightDevice")) {
            if (d.path("weight").isNumber()) w.add(new Write("blkio", "blkio.weight_device", device(d) + " " + d.path("weight").asLong(), "blockIO.weightDevice"));
        }
        throttle(w, blkio, "throttleReadBpsDevice", "blkio.throttle.read_bps_device");
        throttle(w, blkio, "throttleWriteBpsDevice", "blkio.throttle.write_bps_device");
        throttle(w, blkio, "throttleReadIOPSDevice", "blkio.throttle.read_iops_device");
        throttle(w, blkio, "throttleWriteIOPSDevice", "blkio.throttle.write_iops_device");
        for (JsonNode h : r.path("hugepageLimits")) {
            w.add(new Write("hugetlb", "hugetlb." + h.path("pageSize").asText() + ".limit_in_bytes", Long.toString(h.path("limit").asLong()),
                    "hugepageLimits"));
        }
        JsonNode network = r.path("network");
        if (network.path("classID").isNumber()) {
            w.add(new Write("net_cls", "net_cls.classid", Long.toString(network.path("classID").asLong()), "network.classID"));
        }
        for (JsonNode p : network.path("priorities")) {
            w.add(new Write("net_prio", "net_prio.ifpriomap", p.path("name").asText() + " " + p.path("priority").asLong(), "network.priorities"));
        }
        return w;
    }

    /** The devices every container may use whatever its rules say, as runc appends them: mknod of any, and the default nodes. */
    private static final List<String> ALWAYS_ALLOWED = List.of("c *:* m", "b *:* m", "c 1:3 rwm", "c 1:8 rwm", "c 1:7 rwm", "c 5:0 rwm",
            "c 1:5 rwm", "c 1:9 rwm", "c 136:* rwm", "c 5:2 rwm", "c 10:200 rwm");

    /**
     * The v1 devices controller's writes: deny everything first unless the first rule is itself about
     * every device (runc's spec, podman and containerd all start with "deny all"; strata denies by
     * default where a config says nothing), then linux.resources.devices in order (the kernel applies
     * each to the list as runc's emulator does), then linux.devices and the default nodes allowed.
     */
    static List<Write> devicesV1(JsonNode r, List<OciSpec.Device> devices) {
        List<Write> w = new ArrayList<>();
        JsonNode rules = r.path("devices");
        JsonNode first = rules.path(0);
        boolean firstIsAll = first.isObject() && first.path("type").asText("a").equals("a");
        if (!firstIsAll) w.add(new Write("devices", "devices.deny", "a", "devices"));
        for (int i = 0; i < rules.size(); i++) {
            JsonNode rule = rules.get(i);
            String field = "devices[" + i + "]";
            String type = rule.path("type").asText("a");
            if (!List.of("a", "c", "b").contains(type)) throw new IllegalArgumentException("config.json: linux.resources." + field + ".type '" + type + "' is not a, c or b");
            String access = rule.path("access").asText("");
            if (access.isEmpty() || !access.matches("[rwm]+")) {
                throw new IllegalArgumentException("config.json: linux.resources." + field + ".access '" + access + "' wants letters of rwm");
            }
            String file = rule.path("allow").asBoolean(false) ? "devices.allow" : "devices.deny";
            String major = rule.path("major").isNumber() && rule.path("major").asLong() >= 0 ? rule.path("major").asText() : "*";
            String minor = rule.path("minor").isNumber() && rule.path("minor").asLong() >= 0 ? rule.path("minor").asText() : "*";
            w.add(new Write("devices", file, type.equals("a") && major.equals("*") && minor.equals("*") ? "a" : type + " " + major + ":" + minor + " " + access,
                    field));
        }
        for (OciSpec.Device d : devices) {
            String type = d.type().equals("u") ? "c" : d.type();
            if (!type.equals("p")) w.add(new Write("devices", "devices.allow", type + " " + d.major() + ":" + d.minor() + " rwm", "linux.devices " + d.path()));
        }
        for (String rule : ALWAYS_ALLOWED) w.add(new Write("devices", "devices.allow", rule, "devices"));
        return w;
    }

    /** The writes for cgroup v2's one tree, converted as runc converts (shares to weight, swap to swap alone). */
    static List<Write> v2(JsonNode r) {
        List<Write> w = new ArrayList<>();
        JsonNode cpu = r.path("cpu");
        text(w, cpu, "cpus", "cpuset", "cpuset.cpus");
        text(w, cpu, "mems", "cpuset", "cpuset.mems");
        JsonNode memory = r.path("memory");
        if (memory.path("limit").isNumber()) w.add(new Write("memory", "memory.max", max(memory.path("limit").asLong()), "memory.limit"));
        if (memory.path("reservation").isNumber()) {
            w.add(new Write("memory", "memory.low", max(memory.path("reservation").asLong()), "memory.reservation"));
        }
        if (memory.path("swap").isNumber()) {
            long swap = memory.path("swap").asLong(), limit = memory.path("limit").asLong(-1);
            // v1's swap is memory plus swap; v2 limits swap alone.
            String value = swap < 0 || limit < 0 ? max(swap) : Long.toString(Math.max(0, swap - limit));
            w.add(new Write("memory", "memory.swap.max", value, "memory.swap"));
        }
        if (memory.path("swappiness").isNumber()) refuse("memory.swappiness", "cgroup v2 has no per-group swappiness");
        if (memory.path("disableOOMKiller").asBoolean(false)) refuse("memory.disableOOMKiller", "cgroup v2 cannot disable the OOM killer");
        if (cpu.path("shares").isNumber()) {
            long shares = cpu.path("shares").asLong();
            w.add(new Write("cpu", "cpu.weight", Long.toString(shares == 0 ? 100 : 1 + ((shares - 2) * 9999) / 262142), "cpu.shares"));
        }
        if (cpu.path("quota").isNumber() || cpu.path("period").isNumber()) {
            long quota = cpu.path("quota").asLong(-1);
            w.add(new Write("cpu", "cpu.max", (quota < 0 ? "max" : Long.toString(quota)) + " " + cpu.path("period").asLong(100000), "cpu.quota"));
        }
        pids(w, r, "pids.max");
        JsonNode blkio = r.path("blockIO");
        if (blkio.path("weight").isNumber()) {
            w.add(new Write("io", "io.weight", Long.toString(1 + (blkio.path("weight").asLong() - 10) * 9999 / 990), "blockIO.weight"));
        }
        ioMax(w, blkio, "throttleReadBpsDevice", "rbps");
        ioMax(w, blkio, "throttleWriteBpsDevice", "wbps");
        ioMax(w, blkio, "throttleReadIOPSDevice", "riops");
        ioMax(w, blkio, "throttleWriteIOPSDevice", "wiops");
        for (JsonNode h : r.path("hugepageLimits")) {
            w.add(new Write("hugetlb", "hugetlb." + h.path("pageSize").asText() + ".max", Long.toString(h.path("limit").asLong()), "hugepageLimits"));
        }
        if (!r.path("network").isMissingNode() && !r.path("network").isNull()) refuse("network", "cgroup v2 has no net_cls or net_prio controller");
        return w;
    }

    private static void refuse(String field, String why) {
        throw new IllegalArgumentException("config.json: linux.resources." + field + " cannot be honoured: " + why);
    }

    private static String max(long v) {
        return v < 0 ? "max" : Long.toString(v);
    }

    private static void pids(List<Write> w, JsonNode r, String file) {
        if (r.path("pids").path("limit").isNumber()) {
            long limit = r.path("pids").path("limit").asLong();
            w.add(new Write("pids", file, limit <= 0 ? "max" : Long.toString(limit), "pids.limit"));
        }
    }

    private static void number(List<Write> w, JsonNode parent, String name, String controller, String file) {
        if (parent.path(name).isNumber()) w.add(new Write(controller, file, Long.toString(parent.path(name).asLong()), controller + "." + name));
    }

    private static void text(List<Write> w, JsonNode parent, String name, String controller, String file) {
        if (parent.path(name).isTextual() && !parent.path(name).asText().isEmpty()) {
            w.add(new Write(controller, file, parent.path(name).asText(), "cpu." + name));
        }
    }

    private static String device(JsonNode d) {
        return d.path("major").asLong() + ":" + d.path("minor").asLong();
    }

    private static void throttle(List<Write> w, JsonNode blkio, String name, String file) {
        for (JsonNode d : blkio.path(name)) w.add(new Write("blkio", file, device(d) + " " + d.path("rate").asLong(), "blockIO." + name));
    }

    private static void ioMax(List<Write> w, JsonNode blkio, String name, String key) {
        for (JsonNode d : blkio.path(name)) w.add(new Write("io", "io.max", device(d) + " " + key + "=" + d.path("rate").asLong(), "blockIO." + name));
    }
}
