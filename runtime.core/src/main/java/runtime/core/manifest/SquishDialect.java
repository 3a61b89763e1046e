package runtime.core.manifest;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalLong;
import java.util.Set;
import java.util.function.BiConsumer;

import org.tomlj.TomlArray;
import org.tomlj.TomlParseResult;
import org.tomlj.TomlTable;

import runtime.core.store.ImageStore;

/**
 * squish's squishfile, read as a dialect of strata's manifest (README "squishfiles"):
 *
 * <pre>
 * [layers]
 * alpine = "3.14"                                   # the read-only rootfs: alpine-release:3.14
 * python = "3.9"                                    # an SDK: the store image python:3.9, read-only at /sdk/python
 * node = { version = "20", target = "/opt/node" }   # ... or at its target
 * app = "./http-server"                             # a path: mounted read-only at /app/NAME
 * conf = { path = "./site.conf", target = "/etc/site.conf" }
 * scratch = { path = "./scratch", target = "/app/scratch", rw = true }
 *
 * [run]
 * command = "/app/http-server"
 * args = ["2000", "/app"]
 *
 * [env]
 * KEY = "value"
 *
 * [[ports]]
 * container = 2000
 * host = 42069
 * protocol = "tcp"                                  # published on 127.0.0.1, as squish does
 * </pre>
 *
 * As squish runs its containers: the rootfs is read-only (with a fresh /tmp), the network is slirp4netns.
 * Relative paths are taken from the squishfile's directory (squish took the daemon's working directory,
 * which a daemon serving many clients does not share with them).
 */
final class SquishDialect {
    /** The keys that mark a squishfile: strata's manifests have neither. */
    static final Set<String> MARKERS = Set.of("layers", "run");
    private static final Set<String> TOP = Set.of("layers", "run", "env", "ports");
    /** The rootfs when a squishfile names no alpine version (squish took the newest release it knew). */
    static final String DEFAULT_ALPINE = "latest-stable";

    private final TomlParseResult toml;
    private final Path directory;
    private final BiConsumer<String, String> problem;

    private SquishDialect(TomlParseResult toml, Path directory, BiConsumer<String, String> problem) {
        this.toml = toml;
        this.directory = directory;
        this.problem = problem;
    }

    static boolean isSquishfile(TomlParseResult toml) {
        return MARKERS.stream().anyMatch(toml::contains) && !toml.contains("image") && !toml.contains("build");
    }

    /** The manifest a squishfile means; each problem goes to {@code problem(key, message)}. */
    static Manifest read(TomlParseResult toml, Path directory, BiConsumer<String, String> problem) {
        return new SquishDialect(toml, directory, problem).manifest();
    }

    private Manifest manifest() {
        for (String key : toml.keySet()) {
            if (!TOP.contains(key)) problem.accept(key, "unknown squishfile key (expected one of env, layers, ports, run)");
        }
        String alpine = DEFAULT_ALPINE;
        List<Manifest.Mount> mounts = new ArrayList<>();
        List<Manifest.ImageLayer> sdks = new ArrayList<>();
        if (!toml.isTable("layers")) {
            problem.accept("layers", "a squishfile needs a [layers] table (e.g. alpine = \"3.14\")");
        } else {
            TomlTable layers = toml.getTable("layers");
            for (String name : layers.keySet()) {
                String key = "layers." + name;
                Object value = layers.get(List.of(name));
                if (name.equals("alpine")) {
                    if (value instanceof String v && v.matches("\\d+\\.\\d+")) alpine = v;
                    else problem.accept(key, "must be an Alpine release branch such as \"3.14\"");
                } else if (isVersioned(value)) {
                    sdk(key, name, value).ifPresent(sdks::add);
                } else {
                    layer(key, name, value).ifPresent(mounts::add);
                }
            }
        }
        List<String> command = new ArrayList<>();
        if (!toml.isTable("run")) {
            problem.accept("run", "a squishfile needs a [run] table with command (and args)");
        } else {
            Object cmd = toml.get(List.of("run", "command"));
            if (cmd instanceof String c && !c.isEmpty()) command.add(c);
            else if (cmd == null) problem.accept("run", "command is required: the program to run, e.g. command = \"/app/server\"");
            else problem.accept("run.command", "must be the program to run, e.g. command = \"/app/server\"");
            for (String k : toml.getTable("run").keySet()) {
                if (!k.equals("command") && !k.equals("args")) problem.accept("run." + k, "unknown (command, args)");
            }
            Object args = toml.get(List.of("run", "args"));
            if (args instanceof TomlArray a) {
                for (int i = 0; i < a.size(); i++) {
                    if (a.get(i) instanceof String s) command.add(s);
                    else problem.accept("run.args", "entry " + i + " must be a string");
                }
            } else if (args != null) {
                problem.accept("run.args", "must be an array of strings");
            }
        }
        Map<String, String> env = new LinkedHashMap<>();
        if (toml.contains("env")) {
            if (!toml.isTable("env")) {
                problem.accept("env", "must be a table: [env]");
            } else {
                TomlTable t = toml.getTable("env");
                for (String k : t.keySet()) {
                    if (t.get(List.of(k)) instanceof String v) env.put(k, v);
                    else problem.accept("env." + k, "must be a string");
                }
            }
        }
        List<String> ports = new ArrayList<>();
        if (toml.contains("ports")) {
            if (!toml.isArray("ports")) {
                problem.accept("ports", "must be an array of tables: [[ports]]");
            } else {
                TomlArray a = toml.getArray("ports");
                for (int i = 0; i < a.size(); i++) port(i, a.get(i)).ifPresent(ports::add);
            }
        }
        return new Manifest(Optional.of("alpine-release:" + alpine), List.of(), command, Optional.empty(), Optional.empty(),
                Optional.empty(), true, "slirp4netns", ports, env, mounts, sdks,
                new Manifest.Limits(OptionalLong.empty(), OptionalLong.empty(), OptionalDouble.empty()),
                new Manifest.Security("default", List.of(), List.of()));
    }

    /** squish's versioned layer: a string that is no relative path, or a table with a version and no path. */
    private static boolean isVersioned(Object value) {
        if (value instanceof String s) return !s.startsWith("./") && !s.startsWith("../");
        return value instanceof TomlTable t && t.contains(List.of("version")) && !t.contains(List.of("path"));
    }

    /**
     * A versioned SDK layer ({@code python = "3.9"}, {@code { version = "3.9", target = ... }}): the store
     * image NAME:VERSION (squish's daemon was to fetch SDKs by name and version; strata takes the store's,
     * made by build, import or pull and named with strata map), read-only at its target or /sdk/NAME,
     * where squish mounts an SDK.
     */
    private Optional<Manifest.ImageLayer> sdk(String key, String name, Object value) {
        Object version = value instanceof TomlTable t ? t.get(List.of("version")) : value;
        String target = "/sdk/" + name;
        if (value instanceof TomlTable t) {
            for (String k : t.keySet()) {
                if (!Set.of("version", "target", "rw").contains(k)) problem.accept(key + "." + k, "unknown (version, target)");
            }
            Object tg = t.get(List.of("target"));
            if (tg instanceof String s && s.startsWith("/")) target = s;
            else if (tg != null) problem.accept(key + ".target", "must be an absolute path in the container");
            if (Boolean.TRUE.equals(t.get(List.of("rw")))) problem.accept(key + ".rw", "an SDK layer is always read-only (the store's image)");
        }
        if (!(version instanceof String v) || !ImageStore.isMapName(name + ":" + v)) {
            problem.accept(key, "must be a version (letters, digits and . _ - +), a path (\"./" + name
                    + "\") or { path = ..., target = ... }");
            return Optional.empty();
        }
        return Optional.of(new Manifest.ImageLayer(key, name + ":" + v, target));
    }

    /**
     * A layer that is a host path: {@code "./x"} or a table with {@code path} (and {@code target}, {@code rw}).
     * Without a target it lands in /app under its file name ({@code app}) or its relative path (others),
     * as squish places it.
     */
    private Optional<Manifest.Mount> layer(String key, String name, Object value) {
        String path;
        String target = null;
        boolean rw = false;
        if (value instanceof String s) {
            path = s;
        } else if (value instanceof TomlTable t) {
            for (String k : t.keySet()) {
                if (!Set.of("path", "target", "rw", "version").contains(k)) problem.accept(key + "." + k, "unknown (path, target, rw)");
            }
            if (!(t.get(List.of("path")) instanceof String p)) {
                problem.accept(key, t.contains(List.of("path")) ? "path must be a string" : "path is required (a file or directory to mount)");
                return Optional.empty();
            }
            path = p;
            Object tg = t.get(List.of("target"));
            if (tg instanceof String s && s.startsWith("/")) target = s;
            else if (tg != null) problem.accept(key + ".target", "must be an absolute path in the container");
            Object w = t.get(List.of("rw"));
            if (w instanceof Boolean b) rw = b;
            else if (w != null) problem.accept(key + ".rw", "must be true or false");
        } else {
            problem.accept(key, "must be a path (\"./file\") or a table { path = ..., target = ... }");
            return Optional.empty();
        }
        Path source = directory.resolve(path).normalize();
        if (!Files.exists(source)) {
            problem.accept(key, "path " + source + " does not exist");
            return Optional.empty();
        }
        if (target == null) {
            String relative = path.replace("../", "").replace("./", "");
            target = "/app/" + (name.equals("app") ? source.getFileName() : relative);
        }
        return Optional.of(new Manifest.Mount(source.toString(), target, !rw));
    }

    /** A {@code [[ports]]} table as strata's port spec, bound to 127.0.0.1. */
    private Optional<String> port(int i, Object entry) {
        String key = "ports[" + i + "]";
        if (!(entry instanceof TomlTable t)) {
            problem.accept("ports", "entry " + i + " must be a table with container, host and protocol");
            return Optional.empty();
        }
        Object container = t.get(List.of("container"));
        Object host = t.get(List.of("host"));
        Object protocol = t.get(List.of("protocol"));
        boolean ok = true;
        if (!(container instanceof Long c) || c < 1 || c > 65535) {
            problem.accept("ports", key + ".container must be a port number 1-65535");
            ok = false;
        }
        if (!(host instanceof Long h) || h < 1 || h > 65535) {
            problem.accept("ports", key + ".host must be a port number 1-65535");
            ok = false;
        }
        String proto = protocol == null ? "tcp" : String.valueOf(protocol);
        if (!proto.equals("tcp") && !proto.equals("udp")) {
            problem.accept("ports", key + ".protocol must be \"tcp\" or \"udp\"");
            ok = false;
        }
        return ok ? Optional.of("127.0.0.1:" + host + ":" + container + "/" + proto) : Optional.empty();
    }
}
