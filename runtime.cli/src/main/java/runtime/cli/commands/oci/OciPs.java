package runtime.cli.commands.oci;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code ps [--format table|json] ID [PS OPTIONS...]}: the container's processes. json is the array of
 * their host pids (runc's); table runs the host's ps with the options given (-ef by default) and keeps
 * its header and the lines whose PID column is one of them.
 */
final class OciPs implements OciSubcommand {
    @Override
    public List<OciArguments.Flag> flags() {
        return List.of(OciArguments.Flag.value("format", "f"));
    }

    /** What follows the id is ps's, not ours ({@code ps ID -o pid,comm}). */
    @Override
    public boolean stopAtFirstPositional() {
        return true;
    }

    @Override
    public int run(OciArguments args, OciContext context) throws Exception {
        String format = args.value("format").orElse("table");
        if (!format.equals("table") && !format.equals("json")) throw new IllegalArgumentException("invalid format option " + format + " (table or json)");
        List<Long> pids = context.runtime().ps(args.id());
        if (format.equals("json")) {
            context.out.println(pids.toString().replace(" ", ""));
            return 0;
        }
        List<String> command = new ArrayList<>(List.of("ps"));
        List<String> options = args.positional().subList(1, args.positional().size());
        command.addAll(options.isEmpty() ? List.of("-ef") : options);
        Process ps = new ProcessBuilder(command).redirectErrorStream(true).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
        List<String> lines = new String(ps.getInputStream().readAllBytes(), StandardCharsets.UTF_8).lines().toList();
        if (ps.waitFor() != 0) throw new IllegalArgumentException("ps " + String.join(" ", command.subList(1, command.size())) + " failed: "
                + (lines.isEmpty() ? "no output" : lines.getFirst()));
        int column = lines.isEmpty() ? -1 : List.of(lines.getFirst().strip().split("\\s+")).indexOf("PID");
        if (column < 0) throw new IllegalArgumentException("the ps options give no PID column (add -o pid or leave them out)");
        context.out.println(lines.getFirst());
        for (String line : lines.subList(1, lines.size())) {
            String[] fields = line.strip().split("\\s+");
            if (fields.length > column && fields[column].matches("\\d+") && pids.contains(Long.parseLong(fields[column]))) context.out.println(line);
        }
        return 0;
    }
}
