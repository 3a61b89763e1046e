package runtime.core.oci;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.function.Function;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * The parts of an OCI runtime bundle's {@code config.json} (runtime-spec 1.x) strata acts on. Read from
 * Jackson's tree so unknown fields (SELinux labels, Windows sections, ...) are ignored, as runc does.
 */
public record OciSpec(String ociVersion, Process process, Path rootPath, boolean rootReadonly, String hostname,
                      List<Mount> mounts, Map<String, List<Hook>> hooks, Map<String, String> annotations, Linux linux) {

    public record User(long uid, long gid, int umask, List<Long> additionalGids) {}

    public record Rlimit(String type, long soft, long hard) {}

    public record Capabilities(List<String> bounding, List<String> effective, List<String> permitted,
                               List<String> inheritable, List<String> ambient) {}

    public record Process(boolean terminal, User user, List<String> args, List<String> env, String cwd,
                          Optional<Capabilities> capabilities, List<Rlimit> rlimits, boolean noNewPrivileges,
                          OptionalInt oomScoreAdj) {}

    public record Mount(String destination, String type, String source, List<String> options) {}

    public record Hook(String path, List<String> args, List<String> env, OptionalInt timeout) {}

    public record Namespace(String type, Optional<String> path) {}

    public record IdMap(long containerId, long hostId, long size) {}

    public record Device(String path, String type, long major, long minor, OptionalInt fileMode, OptionalLong uid, OptionalLong gid) {}

    /** @param resources linux.resources as given (CgroupSettings reads it) */
    public record Linux(List<Namespace> namespaces, List<IdMap> uidMappings, List<IdMap> gidMappings, JsonNode resources,
                       Optional<String> cgroupsPath, Optional<JsonNode> seccomp, List<String> maskedPaths,
                       List<String> readonlyPaths, List<Device> devices, Map<String, String> sysctl,
                       Optional<String> rootfsPropagation) {

        public Optional<Namespace> namespace(String type) {
            return namespaces.stream().filter(n -> n.type().equals(type)).findFirst();
        }
    }

    /** Reads {@code bundle/config.json}; a missing file or bad JSON is an IllegalArgumentException with one line. */
    public static OciSpec read(Path bundle) throws IOException {
        Path file = bundle.resolve("config.json");
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(file.toFile());
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(file + ": not valid JSON (line " + e.getLocation().getLineNr() + ")");
        } catch (NoSuchFileException | java.io.FileNotFoundException e) {
            throw new IllegalArgumentException(file + ": no such file");
        }
        if (root == null || !root.isObject()) throw new IllegalArgumentException(file + ": not a JSON object");
        return parse(root, bundle);
    }

    /** The spec in {@code root}; a relative root.path is taken from {@code bundle}. */
    public static OciSpec parse(JsonNode root, Path bundle) {
        JsonNode p = root.path("process");
        if (!p.isObject()) throw new IllegalArgumentException("config.json: no process");
        Process process = process(p);
        if (!root.path("root").path("path").isTextual()) throw new IllegalArgumentException("config.json: no root.path");
        Path rootPath = bundle.resolve(root.path("root").path("path").asText()).toAbsolutePath().normalize();
        List<Mount> mounts = list(root.path("mounts"), m -> {
            if (!m.path("destination").isTextual()) throw new IllegalArgumentException("config.json: a mount without destination");
            return new Mount(m.path("destination").asText(), m.path("type").asText("bind"), m.path("source").asText(""),
                    strings(m.path("options")));
        });
        Map<String, List<Hook>> hooks = new LinkedHashMap<>();
        root.path("hooks").properties().forEach(e -> hooks.put(e.getKey(), list(e.getValue(), h -> {
            if (!h.path("path").isTextual()) throw new IllegalArgumentException("config.json: a hook without path");
            return new Hook(h.path("path").asText(), strings(h.path("args")), strings(h.path("env")),
                    h.has("timeout") ? OptionalInt.of(h.path("timeout").asInt()) : OptionalInt.empty());
        })));
        JsonNode l = root.path("linux");
        JsonNode resources = l.path("resources");
        Linux linux = new Linux(
                list(l.path("namespaces"), n -> new Namespace(n.path("type").asText(), text(n.path("path")))),
                list(l.path("uidMappings"), OciSpec::idMap), list(l.path("gidMappings"), OciSpec::idMap), resources,
                text(l.path("cgroupsPath")), l.path("seccomp").isObject() ? Optional.of(l.path("seccomp")) : Optional.empty(),
                strings(l.path("maskedPaths")), strings(l.path("readonlyPaths")),
                list(l.path("devices"), d -> new Device(d.path("path").asText(), d.path("type").asText("c"), d.path("major").asLong(),
                        d.path("minor").asLong(), d.has("fileMode") ? OptionalInt.of(d.path("fileMode").asInt()) : OptionalInt.empty(),
                        optionalLong(d.path("uid")), optionalLong(d.path("gid")))),
                stringMap(l.path("sysctl")), text(l.path("rootfsPropagation")));
        return new OciSpec(root.path("ociVersion").asText("1.0.2"), process, rootPath, root.path("root").path("readonly").asBoolean(),
                root.path("hostname").asText(""), mounts, hooks, stringMap(root.path("annotations")), linux);
    }

    private static Process process(JsonNode p) {
        List<String> args = strings(p.path("args"));
        if (args.isEmpty()) throw new IllegalArgumentException("config.json: process.args is empty");
        JsonNode u = p.path("user");
        User user = new User(u.path("uid").asLong(0), u.path("gid").asLong(0), u.has("umask") ? u.path("umask").asInt() : -1,
                list(u.path("additionalGids"), JsonNode::asLong));
        JsonNode c = p.path("capabilities");
        Optional<Capabilities> caps = c.isObject()
                ? Optional.of(new Capabilities(strings(c.path("bounding")), strings(c.path("effective")), strings(c.path("permitted")),
                        strings(c.path("inheritable")), strings(c.path("ambient"))))
                : Optional.empty();
        List<Rlimit> rlimits = list(p.path("rlimits"), x -> new Rlimit(x.path("type").asText(), x.path("soft").asLong(), x.path("hard").asLong()));
        String cwd = p.path("cwd").asText("/");
        if (!cwd.startsWith("/")) throw new IllegalArgumentException("config.json: process.cwd must be absolute: " + cwd);
        return new Process(p.path("terminal").asBoolean(), user, args, strings(p.path("env")), cwd, caps, rlimits,
                p.path("noNewPrivileges").asBoolean(), p.has("oomScoreAdj") ? OptionalInt.of(p.path("oomScoreAdj").asInt()) : OptionalInt.empty());
    }

    /** A process.json as given to {@code exec --process}: the same shape as config.json's process. */
    public static Process parseProcess(JsonNode p) {
        return process(p);
    }

    private static IdMap idMap(JsonNode m) {
        return new IdMap(m.path("containerID").asLong(), m.path("hostID").asLong(), m.path("size").asLong());
    }

    static List<String> strings(JsonNode array) {
        return list(array, JsonNode::asText);
    }

    private static <T> List<T> list(JsonNode array, Function<JsonNode, T> each) {
        List<T> out = new ArrayList<>();
        if (array.isArray()) array.forEach(n -> out.add(each.apply(n)));
        return List.copyOf(out);
    }

    private static Map<String, String> stringMap(JsonNode object) {
        Map<String, String> out = new LinkedHashMap<>();
        object.properties().forEach(e -> out.put(e.getKey(), e.getValue().asText()));
        return out;
    }

    private static Optional<String> text(JsonNode n) {
        return n.isTextual() && !n.asText().isEmpty() ? Optional.of(n.asText()) : Optional.empty();
    }

    private static OptionalLong optionalLong(JsonNode n) {
        return n.isNumber() ? OptionalLong.of(n.asLong()) : OptionalLong.empty();
    }

    /** Reads a file whole; for process.json. */
    static JsonNode readJson(Path file) throws IOException {
        try {
            return new ObjectMapper().readTree(Files.readString(file));
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(file + ": not valid JSON (line " + e.getLocation().getLineNr() + ")");
        }
    }
}
