package runtime.cli.commands.oci;

import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * {@code update [--resources FILE|-] [--memory 512m --cpu-quota N ...] ID}: new resource limits for a
 * running container, as runc's update takes them: a JSON file (config.json's linux.resources shape; the
 * other options are then ignored) or one option per setting.
 */
final class OciUpdate implements OciSubcommand {
    /** Option, the resources field it sets ("memory.limit"), and how its value reads. */
    private record Setting(String option, String field, Kind kind) {}

    private enum Kind { NUMBER, BYTES, TEXT }

    private static final List<Setting> SETTINGS = List.of(
            new Setting("blkio-weight", "blockIO.weight", Kind.NUMBER),
            new Setting("cpu-period", "cpu.period", Kind.NUMBER), new Setting("cpu-quota", "cpu.quota", Kind.NUMBER),
            new Setting("cpu-share", "cpu.shares", Kind.NUMBER), new Setting("cpu-rt-period", "cpu.realtimePeriod", Kind.NUMBER),
            new Setting("cpu-rt-runtime", "cpu.realtimeRuntime", Kind.NUMBER), new Setting("cpuset-cpus", "cpu.cpus", Kind.TEXT),
            new Setting("cpuset-mems", "cpu.mems", Kind.TEXT), new Setting("memory", "memory.limit", Kind.BYTES),
            new Setting("memory-reservation", "memory.reservation", Kind.BYTES), new Setting("memory-swap", "memory.swap", Kind.BYTES),
            new Setting("kernel-memory", "memory.kernel", Kind.BYTES), new Setting("kernel-memory-tcp", "memory.kernelTCP", Kind.BYTES),
            new Setting("pids-limit", "pids.limit", Kind.NUMBER));

    private static final Pattern SIZE = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*([kmgtp]?)(i?b)?");

    @Override
    public List<OciArguments.Flag> flags() {
        List<OciArguments.Flag> flags = new java.util.ArrayList<>(List.of(OciArguments.Flag.value("resources", "r"),
                OciArguments.Flag.value("l3-cache-schema"), OciArguments.Flag.value("mem-bw-schema")));
        for (Setting s : SETTINGS) flags.add(OciArguments.Flag.value(s.option()));
        return flags;
    }

    @Override
    public int run(OciArguments args, OciContext context) throws Exception {
        String id = args.id();
        if (args.value("l3-cache-schema").isPresent() || args.value("mem-bw-schema").isPresent()) {
            throw new IllegalArgumentException("update: Intel RDT (--l3-cache-schema, --mem-bw-schema) is not supported by strata-oci");
        }
        JsonNode resources;
        ObjectMapper mapper = new ObjectMapper();
        if (args.value("resources").isPresent()) {
            String from = args.value("resources").get();
            try {
                resources = from.equals("-") ? mapper.readTree(context.in) : mapper.readTree(context.path(from).toFile());
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                throw new IllegalArgumentException("--resources " + from + ": not valid JSON (line " + e.getLocation().getLineNr() + ")");
            } catch (java.io.FileNotFoundException e) {
                throw new IllegalArgumentException("--resources " + from + ": no such file");
            }
            if (resources == null) throw new IllegalArgumentException("--resources " + from + ": empty");
        } else {
            ObjectNode r = mapper.createObjectNode();
            for (Setting s : SETTINGS) {
                if (args.value(s.option()).isEmpty()) continue;
                String value = args.value(s.option()).get();
                String[] path = s.field().split("\\.");
                ObjectNode parent = r.has(path[0]) ? (ObjectNode) r.get(path[0]) : r.putObject(path[0]);
                switch (s.kind()) {
                    case TEXT -> parent.put(path[1], value);
                    case NUMBER -> parent.put(path[1], number(s.option(), value));
                    case BYTES -> parent.put(path[1], value.equals("-1") ? -1 : bytes(s.option(), value));
                }
            }
            // As runc: an unlimited memory limit with no swap given unlimits swap too ("swap without a limit").
            if (r.path("memory").path("limit").asLong(0) == -1 && !r.path("memory").has("swap")) ((ObjectNode) r.get("memory")).put("swap", -1);
            if (r.isEmpty()) throw new IllegalArgumentException("update: nothing to change (give --resources FILE or options such as --memory 512m)");
            resources = r;
        }
        if (resources.path("memory").has("kernel") || resources.path("memory").has("kernelTCP")) {
            context.log.warn("Kernel memory settings are ignored and will be removed");
            ObjectNode memory = (ObjectNode) resources.path("memory");
            memory.remove(List.of("kernel", "kernelTCP"));
        }
        context.runtime().update(id, resources);
        return 0;
    }

    private static long number(String option, String value) {
        try {
            return Long.parseLong(value.strip());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("invalid value for " + option + ": '" + value + "' is not a number");
        }
    }

    /** Docker's RAMInBytes, as runc reads memory options: 512m, 1g, 1.5G, 1024, 64KiB (binary units). */
    static long bytes(String option, String value) {
        Matcher m = SIZE.matcher(value.strip().toLowerCase(Locale.ROOT));
        if (!m.matches()) throw new IllegalArgumentException("invalid value for " + option + ": '" + value + "' is not a size (such as 512m or 1g)");
        int shift = "kmgtp".indexOf(m.group(2)) + 1;
        return (long) (Double.parseDouble(m.group(1)) * (1L << (10 * (m.group(2).isEmpty() ? 0 : shift))));
    }
}
