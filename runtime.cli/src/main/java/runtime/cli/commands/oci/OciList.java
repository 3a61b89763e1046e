package runtime.cli.commands.oci;

import java.util.List;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;

import runtime.core.oci.ContainerState;

/** {@code list [--format table|json] [--quiet]}: the containers under the state root. */
final class OciList implements OciSubcommand {
    @Override
    public List<OciArguments.Flag> flags() {
        return List.of(OciArguments.Flag.value("format", "f"), OciArguments.Flag.bool("quiet", "q"));
    }

    @Override
    public int run(OciArguments args, OciContext context) throws Exception {
        List<ContainerState> states = context.runtime().list();
        String format = args.value("format").orElse("table");
        if (args.flag("quiet")) {
            states.forEach(s -> context.out.println(s.id()));
        } else if (format.equals("json")) {
            ArrayNode array = new ObjectMapper().createArrayNode();
            for (ContainerState s : states) array.add(s.json(context.runtime().status(s)));
            context.out.println(array);
        } else if (format.equals("table")) {
            String row = "%-12s %-10s %-10s %-40s %-30s %s%n";
            context.out.printf(row, "ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER");
            for (ContainerState s : states) {
                ContainerState.Status status = context.runtime().status(s);
                context.out.printf(row, s.id(), status == ContainerState.Status.STOPPED ? 0 : s.pid(), status.text(), s.bundle(),
                        s.created(), System.getProperty("user.name"));
            }
        } else {
            throw new IllegalArgumentException("invalid format option " + format + " (table or json)");
        }
        return 0;
    }
}
