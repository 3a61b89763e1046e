package runtime.cli.commands.oci;

import java.time.Duration;
import java.util.List;

/**
 * {@code events [--stats] [--interval 5s] ID}: the container's statistics as runc's JSON events, once
 * with --stats, else a stream (stats every interval, "oom" when the OOM killer struck) until it stops.
 */
final class OciEvents implements OciSubcommand {
    @Override
    public List<OciArguments.Flag> flags() {
        return List.of(OciArguments.Flag.bool("stats"), OciArguments.Flag.value("interval"));
    }

    @Override
    public int run(OciArguments args, OciContext context) throws Exception {
        if (args.flag("stats")) {
            context.out.println(context.runtime().stats(args.id()));
            return 0;
        }
        Duration interval = interval(args.value("interval").orElse("5s"));
        context.runtime().events(args.id(), interval, line -> {
            context.out.println(line);
            context.out.flush();
        });
        return 0;
    }

    /** Go's duration syntax as runc takes it: 500ms, 5s, 1m, 1m30s, 1.5s. */
    static Duration interval(String text) {
        var m = java.util.regex.Pattern.compile("(\\d+(?:\\.\\d+)?)(ns|us|ms|s|m|h)").matcher(text);
        double nanos = 0;
        int end = 0;
        while (m.find() && m.start() == end) {
            double n = Double.parseDouble(m.group(1));
            nanos += n * switch (m.group(2)) {
                case "ns" -> 1;
                case "us" -> 1e3;
                case "ms" -> 1e6;
                case "s" -> 1e9;
                case "m" -> 60e9;
                default -> 3600e9;
            };
            end = m.end();
        }
        if (end != text.length() || text.isEmpty()) throw new IllegalArgumentException("--interval '" + text + "' is not a duration (such as 5s or 500ms)");
        if (nanos <= 0) throw new IllegalArgumentException("--interval must be greater than 0");
        return Duration.ofNanos((long) nanos);
    }
}
