package runtime.cli.commands;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.apache.commons.cli.Option;
import org.apache.commons.cli.Options;

import runtime.api.plan.SetupOp;
import runtime.api.sys.WaitStatus;
import runtime.cli.Command;
import runtime.cli.Invocation;
import runtime.core.Engine;
import runtime.core.launch.Container;
import runtime.core.launch.SignalForwarding;
import runtime.core.launch.Timings;
import runtime.core.store.Layer;

public final class RunCommand implements Command {
    @Override
    public String name() {
        return "run";
    }

    @Override
    public String summary() {
        return "run a command in an image, sharing the host's network, homes, /tmp and working directory";
    }

    @Override
    public String arguments() {
        return "IMAGE [CMD [ARG...]]";
    }

    @Override
    public Options options() {
        return new Options()
                .addOption(Option.builder().longOpt("fs").hasArg().argName("DRIVER")
                        .desc("filesystem driver (default: $STRATA_FS, else the first that works)").build())
                .addOption(Option.builder().longOpt("net").hasArg().argName("DRIVER")
                        .desc("network driver: host (default) or none").build())
                .addOption(Option.builder("b").longOpt("bind").hasArg().argName("SRC[:DST][:ro]")
                        .desc("bind a host path into the container (repeatable)").build())
                .addOption(Option.builder().longOpt("persist").hasArg().argName("DIR")
                        .desc("keep changes in DIR/data (work directory DIR/work) across runs instead of discarding them").build())
                .addOption(Option.builder().longOpt("debug").desc("print start-up phase timings (also STRATA_DEBUG=1)").build());
    }

    @Override
    public int run(Invocation in) throws Exception {
        Timings timings = new Timings();
        String image = in.argument(0, "IMAGE");
        List<String> command = in.arguments().subList(1, in.arguments().size());
        Engine engine = in.engine();
        Layer layer = engine.store().resolve(image);
        timings.mark("resolve");
        Engine.RunOptions options = new Engine.RunOptions(Optional.ofNullable(in.value("fs", null)),
                in.value("net", "host"), Path.of("").toAbsolutePath(), environment(in.env()), parseBinds(in.values("bind")))
                .withPersist(Optional.ofNullable(in.value("persist", null)).map(Path::of));
        Container container = engine.run(layer, command, options, timings);
        SignalForwarding.forward(container);
        if (in.debug()) {
            in.err().println("strata: started pid " + container.pid() + ": " + timings
                    + String.format(" (total %.2f ms)", timings.totalNanos() / 1e6));
        }
        WaitStatus status = container.waitFor();
        return status.shellCode();
    }

    /** plash passes the caller's environment through; a missing PATH gets the usual default. */
    static List<String> environment(Map<String, String> env) {
        List<String> result = new ArrayList<>();
        for (Map.Entry<String, String> e : env.entrySet()) result.add(e.getKey() + "=" + e.getValue());
        if (!env.containsKey("PATH")) result.add("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
        return result;
    }

    /** {@code SRC[:DST][:ro]}: DST defaults to SRC; both absolute once SRC is resolved. */
    static List<SetupOp.Bind> parseBinds(List<String> specs) {
        List<SetupOp.Bind> result = new ArrayList<>();
        for (String spec : specs) {
            String[] parts = spec.split(":", -1);
            boolean ro = parts.length > 1 && parts[parts.length - 1].equals("ro");
            int n = ro ? parts.length - 1 : parts.length;
            if (parts[0].isEmpty() || n > 2) {
                throw new IllegalArgumentException("bad --bind '" + spec + "': want SRC[:DST][:ro]");
            }
            Path src = Path.of(parts[0]).toAbsolutePath().normalize();
            String dst = n == 2 ? parts[1] : src.toString();
            if (!dst.startsWith("/")) {
                throw new IllegalArgumentException("bad --bind '" + spec + "': the container path must be absolute");
            }
            Path target = Path.of(dst.substring(1)).normalize();
            result.add(new SetupOp.Bind(src, target.toString().isEmpty() ? Path.of(".") : target, ro, false));
        }
        return result;
    }
}
