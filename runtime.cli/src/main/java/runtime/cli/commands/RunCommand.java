package runtime.cli.commands;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import runtime.api.plan.SetupOp;
import runtime.api.sys.WaitStatus;
import runtime.core.Engine;
import runtime.core.launch.Container;
import runtime.core.launch.SignalForwarding;
import runtime.core.launch.Timings;
import runtime.core.store.Layer;

@Command(name = "run", description = "run a command in an image, sharing the host's network, homes, /tmp and working directory")
public final class RunCommand implements Callable<Integer> {
    @Option(names = "--fs", paramLabel = "DRIVER", description = "filesystem driver (default: $STRATA_FS, else the first that works)")
    String fs;

    @Option(names = "--net", paramLabel = "DRIVER", defaultValue = "host", description = "network driver: host (default) or none")
    String net;

    @Option(names = {"-b", "--bind"}, paramLabel = "SRC[:DST][:ro]", description = "bind a host path into the container")
    List<String> binds = new ArrayList<>();

    @Option(names = "--debug", description = "print the start-up phase timings on stderr (also STRATA_DEBUG=1)")
    boolean debug;

    @Parameters(index = "0", paramLabel = "IMAGE", description = "image id (or unique prefix)")
    String image;

    @Parameters(index = "1..*", paramLabel = "CMD", description = "command and arguments (default: the image's root shell)")
    List<String> command = new ArrayList<>();

    public RunCommand() {}

    @Override
    public Integer call() throws Exception {
        Timings timings = new Timings();
        Engine engine = Context.engine();
        Layer layer = engine.store().resolve(image);
        Engine.RunOptions options = new Engine.RunOptions(Optional.ofNullable(fs), net,
                Path.of("").toAbsolutePath(), environment(), parseBinds(binds));
        Container container = engine.run(layer, command, options, timings);
        SignalForwarding.forward(container);
        if (Context.debug(debug)) {
            System.err.println("strata: started pid " + container.pid() + ": " + timings
                    + String.format(" (total %.2f ms)", timings.totalNanos() / 1e6));
        }
        WaitStatus status = container.waitFor();
        return status.shellCode();
    }

    /** plash passes the caller's environment through; a missing PATH gets the usual default. */
    static List<String> environment() {
        List<String> env = new ArrayList<>();
        boolean path = false;
        for (Map.Entry<String, String> e : System.getenv().entrySet()) {
            env.add(e.getKey() + "=" + e.getValue());
            path |= e.getKey().equals("PATH");
        }
        if (!path) env.add("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
        return env;
    }

    static List<SetupOp.Bind> parseBinds(List<String> specs) {
        List<SetupOp.Bind> result = new ArrayList<>();
        for (String spec : specs) {
            String[] parts = spec.split(":");
            if (parts.length == 0 || parts.length > 3 || parts[0].isEmpty()) {
                throw new IllegalArgumentException("bad --bind '" + spec + "': want SRC[:DST][:ro]");
            }
            boolean ro = parts[parts.length - 1].equals("ro");
            int n = ro ? parts.length - 1 : parts.length;
            if (parts.length == 3 && !ro) throw new IllegalArgumentException("bad --bind '" + spec + "': the third part can only be ro");
            Path src = Path.of(parts[0]).toAbsolutePath().normalize();
            String dst = n == 2 ? parts[1] : src.toString();
            if (!dst.startsWith("/")) throw new IllegalArgumentException("bad --bind '" + spec + "': the container path must be absolute");
            Path target = Path.of(dst.substring(1)).normalize();
            result.add(new SetupOp.Bind(src, target.toString().isEmpty() ? Path.of(".") : target, ro, false));
        }
        return result;
    }
}
