package runtime.core.cgroups;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * What the kernel counts for a group, in the shape of runc's {@code events} "data" (cpu, memory, pids,
 * blkio, hugetlb), so a client that parses runc's stats (containerd's shim, podman stats) parses these.
 * Read from v1's cpuacct, cpu, memory and pids files or v2's cpu.stat, memory.* and pids.*; a counter
 * this host lacks is left out (runc omits empty ones too).
 */
public final class CgroupUsage {
    /** v1's cpuacct.stat counts USER_HZ ticks (100 a second on Linux); runc reports nanoseconds. */
    private static final long NANOS_PER_TICK = 10_000_000L;
    /** What v1 reads as "no limit" (the largest page-aligned long), as runc passes it on. */
    private static final long V1_UNLIMITED = 9223372036854771712L;

    private CgroupUsage() {}

    public static ObjectNode of(Cgroup group) {
        ObjectNode data = new ObjectMapper().createObjectNode();
        ObjectNode cpu = data.putObject("cpu");
        ObjectNode usage = cpu.putObject("usage");
        ObjectNode throttling = cpu.putObject("throttling");
        ObjectNode memory = data.putObject("memory");
        ObjectNode pids = data.putObject("pids");
        if (group.unified()) {
            group.directory("cpu").or(() -> group.directory("memory")).or(() -> group.directory("pids")).ifPresent(d -> {
                keyed(d.resolve("cpu.stat"), usage, "usage_usec", "total", 1000);
                keyed(d.resolve("cpu.stat"), usage, "system_usec", "kernel", 1000);
                keyed(d.resolve("cpu.stat"), usage, "user_usec", "user", 1000);
                keyed(d.resolve("cpu.stat"), throttling, "nr_periods", "periods", 1);
                keyed(d.resolve("cpu.stat"), throttling, "nr_throttled", "throttled_periods", 1);
                keyed(d.resolve("cpu.stat"), throttling, "throttled_usec", "throttled_time", 1000);
            });
            group.directory("memory").ifPresent(d -> {
                counter(memory.putObject("usage"), d, "memory.max", "memory.current", "memory.peak", null);
                counter(memory.putObject("swap"), d, "memory.swap.max", "memory.swap.current", "memory.swap.peak", null);
                raw(memory, d.resolve("memory.stat"));
            });
            group.directory("pids").ifPresent(d -> pids(pids, d));
        } else {
            group.directory("cpuacct").ifPresent(d -> {
                number(d.resolve("cpuacct.usage")).ifPresent(v -> usage.put("total", v));
                list(usage, "percpu", d.resolve("cpuacct.usage_percpu"));
                list(usage, "percpu_kernel", d.resolve("cpuacct.usage_percpu_sys"));
                list(usage, "percpu_user", d.resolve("cpuacct.usage_percpu_user"));
                keyed(d.resolve("cpuacct.stat"), usage, "system", "kernel", NANOS_PER_TICK);
                keyed(d.resolve("cpuacct.stat"), usage, "user", "user", NANOS_PER_TICK);
            });
            group.directory("cpu").ifPresent(d -> {
                keyed(d.resolve("cpu.stat"), throttling, "nr_periods", "periods", 1);
                keyed(d.resolve("cpu.stat"), throttling, "nr_throttled", "throttled_periods", 1);
                keyed(d.resolve("cpu.stat"), throttling, "throttled_time", "throttled_time", 1);
            });
            group.directory("memory").ifPresent(d -> {
                counter(memory.putObject("usage"), d, "memory.limit_in_bytes", "memory.usage_in_bytes", "memory.max_usage_in_bytes", "memory.failcnt");
                counter(memory.putObject("swap"), d, "memory.memsw.limit_in_bytes", "memory.memsw.usage_in_bytes", "memory.memsw.max_usage_in_bytes",
                        "memory.memsw.failcnt");
                counter(memory.putObject("kernel"), d, "memory.kmem.limit_in_bytes", "memory.kmem.usage_in_bytes", "memory.kmem.max_usage_in_bytes",
                        "memory.kmem.failcnt");
                raw(memory, d.resolve("memory.stat"));
            });
            group.directory("pids").ifPresent(d -> pids(pids, d));
        }
        // runc's omitempty: zero throttling counters are not shown.
        throttling.properties().removeIf(e -> e.getValue().asLong() == 0);
        data.putObject("blkio");
        data.putObject("hugetlb");
        return data;
    }

    private static void pids(ObjectNode pids, Path d) {
        number(d.resolve("pids.current")).ifPresent(v -> pids.put("current", v));
        // "max" (no limit) is runc's omitted 0.
        number(d.resolve("pids.max")).ifPresent(v -> pids.put("limit", v));
    }

    /** limit, usage, max and failcnt from four files; v2's "max" limit is v1's unlimited value. */
    private static void counter(ObjectNode into, Path d, String limit, String usage, String max, String failcnt) {
        Optional<String> l = read(d.resolve(limit));
        if (l.isPresent()) into.put("limit", l.get().equals("max") ? V1_UNLIMITED : parse(l.get()));
        number(d.resolve(usage)).ifPresent(v -> into.put("usage", v));
        number(d.resolve(max)).ifPresent(v -> into.put("max", v));
        if (failcnt != null) number(d.resolve(failcnt)).ifPresent(v -> into.put("failcnt", v));
        else into.put("failcnt", 0);
    }

    private static void raw(ObjectNode memory, Path stat) {
        ObjectNode raw = memory.putObject("raw");
        read(stat).ifPresent(text -> text.lines().forEach(line -> {
            String[] kv = line.split(" ");
            if (kv.length == 2) raw.put(kv[0], parse(kv[1]));
        }));
    }

    /** One "key value" line of a flat-keyed file, scaled, under another name. */
    private static void keyed(Path file, ObjectNode into, String key, String name, long scale) {
        read(file).ifPresent(text -> text.lines().map(l -> l.split(" ")).filter(kv -> kv.length == 2 && kv[0].equals(key))
                .findFirst().ifPresent(kv -> into.put(name, parse(kv[1]) * scale)));
    }

    private static void list(ObjectNode into, String name, Path file) {
        read(file).ifPresent(text -> {
            ArrayNode a = into.putArray(name);
            for (String v : text.strip().split("\\s+")) if (!v.isEmpty()) a.add(parse(v));
        });
    }

    private static Optional<Long> number(Path file) {
        return read(file).filter(t -> !t.equals("max")).map(CgroupUsage::parse);
    }

    private static long parse(String text) {
        try {
            return Long.parseLong(text.strip());
        } catch (NumberFormatException e) {
            return 0; // a counter the kernel prints otherwise (never seen): shown as 0, not an error
        }
    }

    private static Optional<String> read(Path file) {
        try {
            return Optional.of(Files.readString(file).strip());
        } catch (IOException e) {
            return Optional.empty();
        }
    }
}
