package runtime.cli.commands.oci;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.Optional;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The runtime's log ({@code --log FILE}, {@code --log-format text|json}). conmon and podman read the last
 * error line of the JSON log to tell the user why a container failed, so an error is logged there as
 * {@code {"level":"error","msg":...,"time":...}} and also printed on stderr, as runc does.
 */
final class OciLog {
    private final Optional<Path> file;
    private final boolean json;
    private final boolean debug;
    private final PrintStream err;

    OciLog(Optional<Path> file, String format, boolean debug, PrintStream err) {
        if (!format.equals("text") && !format.equals("json")) throw new IllegalArgumentException("unknown log format " + format + " (text or json)");
        this.file = file;
        this.json = format.equals("json");
        this.debug = debug;
        this.err = err;
    }

    void error(String message) {
        write("error", message);
        err.println("strata-oci: " + message);
    }

    void warn(String message) {
        write("warning", message);
        if (file.isEmpty()) err.println("strata-oci: warning: " + message);
    }

    void debug(String message) {
        if (debug) write("debug", message);
    }

    private void write(String level, String message) {
        if (file.isEmpty()) return;
        String line;
        if (json) {
            ObjectNode n = new ObjectMapper().createObjectNode();
            n.put("level", level);
            n.put("msg", message);
            n.put("time", Instant.now().toString());
            line = n.toString();
        } else {
            line = "time=\"" + Instant.now() + "\" level=" + level + " msg=\"" + message.replace("\"", "\\\"") + "\"";
        }
        try {
            Files.writeString(file.get(), line + "\n", StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            err.println("strata-oci: cannot write log " + file.get() + ": " + e.getMessage());
        }
    }
}
