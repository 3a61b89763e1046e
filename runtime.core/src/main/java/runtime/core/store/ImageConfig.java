package runtime.core.store;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;

/**
 * How an image wants to be run: environment, working directory and entrypoint, set by build macros
 * (--env, --import-env, --workdir, --entrypoint) or taken from an imported image's config. Each layer
 * stores the full effective config of the image it tops ({@code config} file, java.util.Properties
 * format: reading it must not cost a JSON library at start-up).
 */
public record ImageConfig(Map<String, String> env, Optional<String> workdir, List<String> entrypoint) {
    public static final ImageConfig EMPTY = new ImageConfig(Map.of(), Optional.empty(), List.of());
    static final String FILE = "config";

    public ImageConfig {
        env = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(env));
        entrypoint = List.copyOf(entrypoint);
    }

    public ImageConfig withEnv(String name, String value) {
        Map<String, String> e = new LinkedHashMap<>(env);
        e.remove(name); // a re-set variable moves to the end, as in a shell
        e.put(name, value);
        return new ImageConfig(e, workdir, entrypoint);
    }

    public ImageConfig withWorkdir(String dir) {
        return new ImageConfig(env, Optional.of(dir), entrypoint);
    }

    public ImageConfig withEntrypoint(List<String> command) {
        return new ImageConfig(env, workdir, command);
    }

    /** {@code NAME=VALUE} strings, in the order set. */
    public List<String> envList() {
        List<String> list = new ArrayList<>();
        env.forEach((k, v) -> list.add(k + "=" + v));
        return list;
    }

    public boolean isEmpty() {
        return env.isEmpty() && workdir.isEmpty() && entrypoint.isEmpty();
    }

    /** Reads a layer directory's config; a layer without one has the empty config. */
    public static ImageConfig read(Path layerDirectory) throws IOException {
        Properties p = new Properties();
        try (InputStream in = Files.newInputStream(layerDirectory.resolve(FILE))) {
            p.load(in);
        } catch (NoSuchFileException e) {
            return EMPTY;
        }
        Map<String, String> env = new LinkedHashMap<>();
        for (int i = 0; p.containsKey("env." + i); i++) {
            String kv = p.getProperty("env." + i);
            int eq = kv.indexOf('=');
            env.put(kv.substring(0, eq), kv.substring(eq + 1));
        }
        List<String> entry = new ArrayList<>();
        for (int i = 0; p.containsKey("entrypoint." + i); i++) entry.add(p.getProperty("entrypoint." + i));
        return new ImageConfig(env, Optional.ofNullable(p.getProperty("workdir")), entry);
    }

    /** Writes this config into a (staging) layer directory; nothing for the empty config. */
    public void write(Path layerDirectory) throws IOException {
        if (isEmpty()) return;
        Properties p = new Properties();
        List<String> e = envList();
        for (int i = 0; i < e.size(); i++) p.setProperty("env." + i, e.get(i));
        workdir.ifPresent(w -> p.setProperty("workdir", w));
        for (int i = 0; i < entrypoint.size(); i++) p.setProperty("entrypoint." + i, entrypoint.get(i));
        try (OutputStream out = Files.newOutputStream(layerDirectory.resolve(FILE))) {
            p.store(out, null);
        }
    }
}
