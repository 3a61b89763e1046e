package runtime.core.store;

import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;

/**
 * How an image wants to be run: environment, working directory, entrypoint and cmd (and the user, recorded
 * from OCI images), set by build macros (--env, --import-env, --workdir, --entrypoint) or taken from an
 * imported image's config. Each layer
 * stores the full effective config of the image it tops ({@code config} file, java.util.Properties
 * format: reading it must not cost a JSON library at start-up).
 */
public record ImageConfig(Map<String, String> env, Optional<String> workdir, List<String> entrypoint, List<String> cmd,
                          Optional<String> user, Optional<String> stopSignal) {
    public static final ImageConfig EMPTY = new ImageConfig(Map.of(), Optional.empty(), List.of(), List.of(), Optional.empty());

    /** Without a stop signal: stop sends SIGTERM. */
    public ImageConfig(Map<String, String> env, Optional<String> workdir, List<String> entrypoint, List<String> cmd, Optional<String> user) {
        this(env, workdir, entrypoint, cmd, user, Optional.empty());
    }

    /**
     * The signal stop sends first (the image's StopSignal, as podman honours it), SIGTERM when it has none
     * or one no kill knows (an image is not refused for it: podman runs it too).
     */
    public int stopSignalNumber() {
        try {
            return stopSignal.map(runtime.api.sys.Signals::parse).orElse(runtime.api.sys.Posix.SIGTERM);
        } catch (IllegalArgumentException e) {
            return runtime.api.sys.Posix.SIGTERM;
        }
    }
    static final String FILE = "config";

    public ImageConfig {
        env = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(env));
        entrypoint = List.copyOf(entrypoint);
        cmd = List.copyOf(cmd);
    }

    /** What runs when no command is given: entrypoint followed by cmd (as OCI defines), or empty. */
    public List<String> defaultCommand() {
        List<String> all = new ArrayList<>(entrypoint);
        all.addAll(cmd);
        return all;
    }

    public ImageConfig withEnv(String name, String value) {
        Map<String, String> e = new LinkedHashMap<>(env);
        e.remove(name); // a re-set variable moves to the end, as in a shell
        e.put(name, value);
        return new ImageConfig(e, workdir, entrypoint, cmd, user, stopSignal);
    }

    public ImageConfig withWorkdir(String dir) {
        return new ImageConfig(env, Optional.of(dir), entrypoint, cmd, user, stopSignal);
    }

    /**
     * plash's --entrypoint: the whole default command, which a run's own command replaces (plash run IMAGE
     * CMD runs CMD). In OCI terms that is Cmd with no Entrypoint, so it is stored as such and exported so.
     */
    public ImageConfig withEntrypoint(List<String> command) {
        return new ImageConfig(env, workdir, List.of(), command, user, stopSignal);
    }

    /** {@code NAME=VALUE} strings, in the order set. */
    public List<String> envList() {
        List<String> list = new ArrayList<>();
        env.forEach((k, v) -> list.add(k + "=" + v));
        return list;
    }

    public boolean isEmpty() {
        return env.isEmpty() && workdir.isEmpty() && entrypoint.isEmpty() && cmd.isEmpty() && user.isEmpty() && stopSignal.isEmpty();
    }

    /** Reads a layer directory's config; a layer without one has the empty config. */
    public static ImageConfig read(Path layerDirectory) throws IOException {
        Properties p;
        try {
            p = PropertiesFiles.read(layerDirectory.resolve(FILE));
        } catch (NoSuchFileException e) {
            return EMPTY;
        }
        Map<String, String> env = new LinkedHashMap<>();
        for (int i = 0; p.containsKey("env." + i); i++) {
            String kv = p.getProperty("env." + i);
            int eq = kv.indexOf('=');
            env.put(kv.substring(0, eq), kv.substring(eq + 1));
        }
        return new ImageConfig(env, Optional.ofNullable(p.getProperty("workdir")), list(p, "entrypoint"), list(p, "cmd"),
                Optional.ofNullable(p.getProperty("user")), Optional.ofNullable(p.getProperty("stopsignal")));
    }

    private static List<String> list(Properties p, String key) {
        List<String> values = new ArrayList<>();
        for (int i = 0; p.containsKey(key + "." + i); i++) values.add(p.getProperty(key + "." + i));
        return values;
    }

    /** Writes this config into a (staging) layer directory; nothing for the empty config. */
    public void write(Path layerDirectory) throws IOException {
        if (isEmpty()) return;
        Map<String, String> p = new HashMap<>();
        List<String> e = envList();
        for (int i = 0; i < e.size(); i++) p.put("env." + i, e.get(i));
        workdir.ifPresent(w -> p.put("workdir", w));
        for (int i = 0; i < entrypoint.size(); i++) p.put("entrypoint." + i, entrypoint.get(i));
        for (int i = 0; i < cmd.size(); i++) p.put("cmd." + i, cmd.get(i));
        user.ifPresent(u -> p.put("user", u));
        stopSignal.ifPresent(s -> p.put("stopsignal", s));
        PropertiesFiles.write(layerDirectory.resolve(FILE), p);
    }
}
