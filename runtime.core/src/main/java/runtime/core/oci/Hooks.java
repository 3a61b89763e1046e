package runtime.core.oci;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs the spec's hooks of one kind on the host, each with the container's state JSON on stdin; a hook
 * that fails or outlives its timeout fails the operation (poststop ones only warn, as the spec asks).
 */
public final class Hooks {
    private Hooks() {}

    public static void run(OciSpec spec, String kind, String stateJson) throws IOException {
        for (OciSpec.Hook hook : spec.hooks().getOrDefault(kind, List.of())) {
            List<String> command = new ArrayList<>();
            command.add(hook.path());
            if (hook.args().size() > 1) command.addAll(hook.args().subList(1, hook.args().size()));
            ProcessBuilder pb = new ProcessBuilder(command).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .redirectError(ProcessBuilder.Redirect.INHERIT);
            Map<String, String> env = pb.environment();
            env.clear();
            for (String e : hook.env()) {
                int eq = e.indexOf('=');
                if (eq > 0) env.put(e.substring(0, eq), e.substring(eq + 1));
            }
            Process p = pb.start();
            try (OutputStream in = p.getOutputStream()) {
                in.write(stateJson.getBytes(StandardCharsets.UTF_8));
            } catch (IOException e) {
                // a hook that does not read its stdin is fine
            }
            try {
                int timeout = hook.timeout().orElse(0);
                boolean done = timeout > 0 ? p.waitFor(timeout, TimeUnit.SECONDS) : p.waitFor() >= Integer.MIN_VALUE;
                if (!done) {
                    p.destroyForcibly();
                    throw new IOException(kind + " hook " + hook.path() + " timed out after " + timeout + " s");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException(kind + " hook " + hook.path() + " interrupted");
            }
            if (p.exitValue() != 0) throw new IOException(kind + " hook " + hook.path() + " exited with status " + p.exitValue());
        }
    }
}
