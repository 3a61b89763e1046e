package runtime.core.build;

import java.util.ArrayList;
import java.util.List;

/**
 * One build step: the shell lines and configuration changes between two layer boundaries. Its canonical
 * text, the {@link #instruction()}, is what the layer cache keys on together with the parent layer.
 */
public final class Step {
    private final List<String> script = new ArrayList<>();
    private final List<ConfigChange> changes = new ArrayList<>();
    private final List<String> extraKeys = new ArrayList<>();

    void addScript(String line) {
        script.add(line);
    }

    void addChange(ConfigChange change) {
        changes.add(change);
    }

    /** Contributes to the cache key without running anything (hashed paths, cache busting). */
    void addKey(String line) {
        extraKeys.add(line);
    }

    public List<String> script() {
        return List.copyOf(script);
    }

    public List<ConfigChange> changes() {
        return List.copyOf(changes);
    }

    /** The cache-key lines that run nothing (--hash-path, --invalidate-layer). */
    public List<String> keys() {
        return List.copyOf(extraKeys);
    }

    public boolean isEmpty() {
        return script.isEmpty() && changes.isEmpty() && extraKeys.isEmpty();
    }

    /**
     * The canonical instruction: {@code run <script>} with the step's shell lines joined by newlines,
     * then one line per configuration change and per extra key.
     */
    public String instruction() {
        List<String> lines = new ArrayList<>();
        if (!script.isEmpty()) lines.add("run " + String.join("\n", script));
        for (ConfigChange c : changes) lines.add(c.canonical());
        lines.addAll(extraKeys);
        return String.join("\n", lines);
    }

    /** The first line of the instruction, for progress messages. */
    public String summary() {
        String text = instruction();
        int nl = text.indexOf('\n');
        String first = nl < 0 ? text : text.substring(0, nl) + " ...";
        return first.length() > 100 ? first.substring(0, 97) + "..." : first;
    }
}
