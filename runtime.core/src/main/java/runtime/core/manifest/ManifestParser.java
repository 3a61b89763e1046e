package runtime.core.manifest;

import java.io.IOException;
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

import org.tomlj.Toml;
import org.tomlj.TomlArray;
import org.tomlj.TomlParseError;
import org.tomlj.TomlParseResult;
import org.tomlj.TomlPosition;
import org.tomlj.TomlTable;

import runtime.core.cgroups.Limits;
import runtime.core.security.Capabilities;

/**
 * Reads and checks a {@link Manifest}. Every problem is reported with its line and column
 * ({@code web.toml:7:1: ports: '80' is not [IP:]HOST:CONTAINER[/proto]}), and all problems are found in
 * one pass, so a user fixes the file once.
 */
public final class ManifestParser {
    private static final Set<String> TOP = Set.of("image", "build", "command", "name", "hostname", "workdir", "read_only",
            "network", "ports", "env", "mount", "layer", "limits", "security");

    /** Everything wrong with a manifest, each line starting with FILE:LINE:COLUMN. */
    public static final class InvalidManifestException extends IllegalArgumentException {
        private final List<String> problems;

        InvalidManifestException(List<String> problems) {
            super(problems.getFirst() + (problems.size() > 1 ? " (and " + (problems.size() - 1) + " more)" : ""));
            this.problems = List.copyOf(problems);
        }

        public List<String> problems() {
            return problems;
        }
    }

    private final String origin;
    private final Path directory;
    private final TomlParseResult toml;
    private final List<String> problems = new ArrayList<>();

    private ManifestParser(String origin, Path directory, TomlParseResult toml) {
        this.origin = origin;
        this.directory = directory;
        this.toml = toml;
    }

    public static Manifest read(Path file) throws IOException {
        if (!Files.isRegularFile(file)) throw new IllegalArgumentException(file + ": no such manifest");
        return parse(Files.readString(file), file.toString(), file.toAbsolutePath().getParent());
    }

    public static Manifest parse(String text, String origin, Path directory) {
        TomlParseResult toml;
        try {
            toml = Toml.parse(text);
        } catch (TomlParseError e) {
            // tomlj reports most syntax errors in the result but throws some (an invalid escape in a quoted
            // key, found by fuzzing): the same one line either way.
            throw new InvalidManifestException(List.of(origin + ":" + e.position().line() + ":" + e.position().column() + ": "
                    + e.getMessage().replaceFirst(" \\(line \\d+, column \\d+\\)$", "")));
        } catch (RuntimeException e) {
            throw new InvalidManifestException(List.of(origin + ":1:1: " + e.getMessage()));
        } catch (AssertionError e) {
            // tomlj asserts where it meets an escape it does not handle (U"\U]..." found by fuzzing; with
            // assertions on, as in the tests): bad input all the same, not a crash.
            throw new InvalidManifestException(List.of(origin + ":1:1: not valid TOML (an escape sequence the parser cannot read)"));
        }
        ManifestParser p = new ManifestParser(origin, directory, toml);
        if (toml.hasErrors()) {
            for (TomlParseError e : toml.errors()) {
                p.problems.add(origin + ":" + e.position().line() + ":" + e.position().column() + ": " + e.getMessage());
            }
            throw new InvalidManifestException(p.problems);
        }
        Manifest m = p.manifest();
        if (!p.problems.isEmpty()) {
            p.problems.sort(java.util.Comparator.comparingLong(ManifestParser::lineOf));
            throw new InvalidManifestException(p.problems);
        }
        return m;
    }

    /** The line of a "FILE:LINE:COLUMN: ..." problem, for sorting; file names may contain colons. */
    private static long lineOf(String problem) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile(":(\\d+):(\\d+): ").matcher(problem);
        return m.find() ? Long.parseLong(m.group(1)) * 100000 + Long.parseLong(m.group(2)) : 0;
    }

    private void problem(String key, String message) {
        TomlPosition at;
        try {
            at = toml.inputPositionOf(key);
        } catch (IllegalArgumentException e) {
            at = null; // a key that is no dotted key (a squishfile layer named "a b"): the file's start
        }
        String where = at == null ? origin + ":1:1" : origin + ":" + at.line() + ":" + at.column();
        problems.add(where + ": " + key + ": " + message);
    }

    private Manifest manifest() {
        if (SquishDialect.isSquishfile(toml)) return SquishDialect.read(toml, directory, this::problem);
        for (String key : toml.keySet()) {
            if (!TOP.contains(key)) problem(key, "unknown key (expected one of " + String.join(", ", sorted(TOP))
                    + (SquishDialect.MARKERS.contains(key) ? "; a squishfile has no image or build" : "") + ")");
        }
        Optional<String> image = string("image");
        List<String> build = strings("build");
        if (image.isEmpty() && build.isEmpty()) problems.add(origin + ":1:1: either image or build is required");
        if (image.isPresent() && !build.isEmpty()) problem("build", "give image or build, not both");
        String network = string("network").orElse("none");
        if (!network.matches(runtime.core.net.BridgeNetworks.NAME)) {
            problem("network", "'" + network + "' is not none, host, slirp4netns or a network's name (strata network create)");
        }
        List<String> ports = strings("ports");
        for (int i = 0; i < ports.size(); i++) {
            if (!ports.get(i).matches("((\\d{1,3}\\.){3}\\d{1,3}:)?\\d{1,5}:\\d{1,5}(/(tcp|udp))?")) {
                problem("ports", "'" + ports.get(i) + "' is not [IP:]HOST:CONTAINER[/tcp|udp]");
            }
        }
        if (!ports.isEmpty() && (network.equals("none") || network.equals("host"))) {
            problem("ports", "port forwards need network = \"slirp4netns\" or a named network");
        }
        Optional<String> workdir = string("workdir");
        workdir.filter(w -> !w.startsWith("/")).ifPresent(w -> problem("workdir", "must be an absolute path"));
        Optional<String> name = string("name");
        name.filter(n -> !n.matches("[A-Za-z0-9][A-Za-z0-9_.-]{0,62}")).ifPresent(n -> problem("name", "letters, digits, _ . - only"));
        Map<String, String> env = new LinkedHashMap<>();
        if (toml.contains("env")) {
            if (!toml.isTable("env")) {
                problem("env", "must be a table, e.g. env = { NAME = \"value\" }");
            } else {
                TomlTable t = toml.getTable("env");
                for (String k : t.keySet()) {
                    Object v = t.get(k);
                    if (v instanceof String || v instanceof Long || v instanceof Boolean || v instanceof Double) {
                        env.put(k, String.valueOf(v));
                    } else {
                        problem("env." + k, "must be a string, number or boolean");
                    }
                }
            }
        }
        List<Manifest.Mount> mounts = new ArrayList<>();
        List<Manifest.ImageLayer> images = new ArrayList<>();
        mounts(mounts, images, "mount", false);
        mounts(mounts, images, "layer", true);
        // A manifest describes a service: read-only unless it says otherwise (squish's default).
        return new Manifest(image, build, strings("command"), name, string("hostname"), workdir, bool("read_only", true), network,
                ports, env, mounts, images, limits(), security());
    }

    /**
     * The [[mount]] or [[layer]] entries; a layer may name a store image ({@code image = "python-sdk"})
     * instead of a host {@code source}, which the store resolves when the container starts.
     */
    private void mounts(List<Manifest.Mount> into, List<Manifest.ImageLayer> images, String key, boolean alwaysReadOnly) {
        if (!toml.contains(key)) return;
        if (!toml.isArray(key)) {
            problem(key, "must be an array of tables: [[" + key + "]]");
            return;
        }
        TomlArray array = toml.getArray(key);
        for (int i = 0; i < array.size(); i++) {
            Object o = array.get(i);
            String at = key + "[" + i + "]";
            if (!(o instanceof TomlTable t)) {
                problem(key, "entry " + i + " must be a table");
                continue;
            }
            for (String field : t.keySet()) {
                if (!Set.of("source", "target", "read_only", "image").contains(field) || (!alwaysReadOnly && field.equals("image"))) {
                    problemAt(t, at, "unknown field " + field + " (" + (alwaysReadOnly ? "source or image" : "source") + ", target, read_only)");
                }
            }
            String source = stringIn(t, at, "source");
            String image = alwaysReadOnly ? stringIn(t, at, "image") : null;
            String target = stringIn(t, at, "target");
            if (alwaysReadOnly && t.contains("source") && t.contains("image")) problemAt(t, at, "give source (a host path) or image (a store image), not both");
            else if (alwaysReadOnly && !t.contains("source") && !t.contains("image")) problemAt(t, at, "source (a host path) or image (a store image) is required");
            else if (!alwaysReadOnly && !t.contains("source")) problemAt(t, at, "source is required");
            // A target of another type was reported by stringIn and is null here: not "required", not "relative".
            if (target == null) {
                if (!t.contains("target")) problemAt(t, at, "target is required");
            } else if (!target.startsWith("/")) {
                problemAt(t, at, "target must be an absolute path");
            }
            Object readOnly = t.get("read_only");
            if (image != null && target != null) {
                if (image.isEmpty()) problemAt(t, at, "image must name a store image (strata images lists them)");
                else if (Boolean.FALSE.equals(readOnly)) problemAt(t, at, "a layer is always read-only (an image's files are the store's)");
                else images.add(new Manifest.ImageLayer(at, image, target));
                continue;
            }
            if (source == null || target == null) continue;
            Path src = directory.resolve(source).normalize();
            if (!Files.exists(src)) problemAt(t, at, "source " + src + " does not exist");
            if (readOnly != null && !(readOnly instanceof Boolean)) problemAt(t, at, "read_only must be true or false");
            // Not silently read-only after all: a writable layer is a [[mount]].
            if (alwaysReadOnly && Boolean.FALSE.equals(readOnly)) {
                problemAt(t, at, "a layer is always read-only (read_only = false: make it a [[mount]])");
            }
            boolean ro = alwaysReadOnly || Boolean.TRUE.equals(readOnly);
            into.add(new Manifest.Mount(src.toString(), target, ro));
        }
    }

    /** The string at {@code field} of a mount entry; a value of another type is a problem (and null). */
    private String stringIn(TomlTable t, String at, String field) {
        Object value = t.get(field);
        if (value == null || value instanceof String) return (String) value;
        problemAt(t, at, field + " must be a string");
        return null;
    }

    private void problemAt(TomlTable t, String key, String message) {
        TomlPosition at = t.inputPositionOf(t.keySet().isEmpty() ? "" : t.keySet().iterator().next());
        String where = at == null ? origin + ":1:1" : origin + ":" + at.line() + ":" + at.column();
        problems.add(where + ": " + key + ": " + message);
    }

    private Manifest.Limits limits() {
        OptionalLong memory = OptionalLong.empty();
        OptionalLong pids = OptionalLong.empty();
        OptionalDouble cpus = OptionalDouble.empty();
        if (!toml.contains("limits")) return new Manifest.Limits(memory, pids, cpus);
        if (!toml.isTable("limits")) {
            problem("limits", "must be a table: [limits]");
            return new Manifest.Limits(memory, pids, cpus);
        }
        unknownKeys("limits", Set.of("memory", "pids", "cpus"), "limit");
        try {
            Object m = toml.get("limits.memory");
            if (m != null) memory = OptionalLong.of(m instanceof Long l ? l : Limits.parseBytes(String.valueOf(m)));
        } catch (IllegalArgumentException e) {
            problem("limits.memory", e.getMessage());
        }
        try {
            Object p = toml.get("limits.pids");
            if (p != null) pids = OptionalLong.of(Limits.parsePids(String.valueOf(p)));
        } catch (IllegalArgumentException e) {
            problem("limits.pids", e.getMessage());
        }
        try {
            Object c = toml.get("limits.cpus");
            if (c != null) cpus = OptionalDouble.of(Limits.parseCpus(String.valueOf(c)));
        } catch (IllegalArgumentException e) {
            problem("limits.cpus", e.getMessage());
        }
        return new Manifest.Limits(memory, pids, cpus);
    }

    /** Reports each key of {@code table} that is not one of {@code known}: a typo must not silently mean "default". */
    private void unknownKeys(String table, Set<String> known, String what) {
        for (String k : toml.getTable(table).keySet()) {
            if (!known.contains(k)) problem(table + "." + k, "unknown " + what + " (" + String.join(", ", sorted(known)) + ")");
        }
    }

    private Manifest.Security security() {
        if (toml.contains("security")) {
            if (!toml.isTable("security")) {
                problem("security", "must be a table: [security]");
                return new Manifest.Security("default", List.of(), List.of());
            }
            unknownKeys("security", Set.of("seccomp", "cap_add", "cap_drop"), "security option");
        }
        String seccomp = string("security.seccomp").orElse("default");
        if (!seccomp.equals("default") && !seccomp.equals("unconfined")) {
            Path profile = directory.resolve(seccomp).normalize();
            if (!Files.isRegularFile(profile)) problem("security.seccomp", "profile " + profile + " does not exist");
            seccomp = profile.toString();
        }
        List<String> add = capabilities("security.cap_add"), drop = capabilities("security.cap_drop");
        if (known(add) && known(drop)) {
            try {
                Capabilities.keep(add, drop); // the combination, checked now as each name was
            } catch (IllegalArgumentException e) {
                problem("security.cap_drop", e.getMessage());
            }
        }
        return new Manifest.Security(seccomp, add, drop);
    }

    private static boolean known(List<String> capabilities) {
        try {
            capabilities.forEach(Capabilities::check);
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    /** A list of capability names, each checked now: a misspelt one is a problem at validate time, not at start. */
    private List<String> capabilities(String key) {
        List<String> names = strings(key);
        for (String name : names) {
            try {
                Capabilities.check(name);
            } catch (IllegalArgumentException e) {
                problem(key, e.getMessage());
            }
        }
        return names;
    }

    private Optional<String> string(String key) {
        if (!toml.contains(key)) return Optional.empty();
        if (!toml.isString(key)) {
            problem(key, "must be a string");
            return Optional.empty();
        }
        return Optional.of(toml.getString(key));
    }

    private boolean bool(String key, boolean otherwise) {
        if (!toml.contains(key)) return otherwise;
        if (!toml.isBoolean(key)) {
            problem(key, "must be true or false");
            return otherwise;
        }
        return toml.getBoolean(key);
    }

    private List<String> strings(String key) {
        if (!toml.contains(key)) return List.of();
        if (!toml.isArray(key)) {
            problem(key, "must be an array of strings, e.g. [\"a\", \"b\"]");
            return List.of();
        }
        List<String> out = new ArrayList<>();
        TomlArray a = toml.getArray(key);
        for (int i = 0; i < a.size(); i++) {
            Object o = a.get(i);
            if (o instanceof String str) out.add(str);
            else problem(key, "entry " + i + " must be a string");
        }
        return out;
    }

    private static List<String> sorted(Set<String> s) {
        return s.stream().sorted().toList();
    }
}
