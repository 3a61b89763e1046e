package runtime.core.source.oci;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Registry credentials where podman and docker keep them (containers-auth.json(5)): podman's auth.json
 * ({@code $REGISTRY_AUTH_FILE}, else {@code $XDG_RUNTIME_DIR/containers/auth.json}, for root without
 * XDG_RUNTIME_DIR {@code /run/containers/0/auth.json}), then {@code ~/.config/containers/auth.json}, then
 * docker's {@code $DOCKER_CONFIG/config.json} (default {@code ~/.docker}). login writes the first;
 * each is {@code {"auths": {"HOST[:PORT]": {"auth": base64(user:password)}}}}.
 */
public final class AuthFiles {
    private AuthFiles() {}

    /** The file login writes and logout edits, as podman's. */
    public static Path writable(Map<String, String> env) {
        String given = env.get("REGISTRY_AUTH_FILE");
        if (given != null && !given.isEmpty()) return Path.of(given);
        String runDir = env.get("XDG_RUNTIME_DIR");
        if (runDir != null && !runDir.isEmpty()) return Path.of(runDir, "containers", "auth.json");
        if (runtime.api.sys.Posix.getuid() == 0) return Path.of("/run/containers/0/auth.json");
        return home(env).resolve(".config/containers/auth.json");
    }

    /** Every file read for credentials, first match wins. */
    static List<Path> readable(Map<String, String> env) {
        List<Path> files = new ArrayList<>(List.of(writable(env), home(env).resolve(".config/containers/auth.json")));
        String docker = env.get("DOCKER_CONFIG");
        files.add(docker == null || docker.isEmpty() ? home(env).resolve(".docker/config.json") : Path.of(docker, "config.json"));
        return files.stream().distinct().toList();
    }

    private static Path home(Map<String, String> env) {
        return Path.of(env.getOrDefault("HOME", System.getProperty("user.home")));
    }

    /** The user and password for {@code host} (a registry as references name it), from the first file that has them. */
    static Optional<String[]> lookup(Map<String, String> env, String host) {
        List<String> keys = host.equals(Reference.DOCKER_HUB)
                ? List.of("docker.io", "https://index.docker.io/v1/", "index.docker.io", "registry-1.docker.io", "https://registry-1.docker.io")
                : List.of(host, "https://" + host, "http://" + host, "https://" + host + "/v1/", "https://" + host + "/v2/");
        for (Path file : readable(env)) {
            JsonNode auths = read(file).path("auths");
            for (String key : keys) {
                JsonNode e = auths.path(key);
                if (e.isMissingNode()) continue;
                if (e.hasNonNull("auth")) {
                    String decoded;
                    try {
                        decoded = new String(Base64.getDecoder().decode(e.get("auth").asText()), StandardCharsets.UTF_8);
                    } catch (IllegalArgumentException bad) {
                        throw new OciException(file + ": the auth of " + key + " is not base64 (strata login " + host + " writes it again)");
                    }
                    int colon = decoded.indexOf(':');
                    if (colon > 0) return Optional.of(new String[] {decoded.substring(0, colon), decoded.substring(colon + 1)});
                }
                if (e.hasNonNull("username")) return Optional.of(new String[] {e.get("username").asText(), e.path("password").asText("")});
            }
        }
        return Optional.empty();
    }

    private static JsonNode read(Path file) {
        if (!Files.isRegularFile(file)) return RegistryClient.JSON.createObjectNode();
        try {
            return RegistryClient.JSON.readTree(Files.readAllBytes(file));
        } catch (IOException e) {
            throw new OciException(file + ": not valid JSON (" + RegistryClient.oneLine(e) + "): fix or remove it");
        }
    }

    /** Records {@code user}:{@code password} for {@code host} in {@link #writable} (0600, replaced atomically). */
    public static Path store(Map<String, String> env, String host, String user, String password) throws IOException {
        Path file = writable(env);
        ObjectNode root = objectOf(read(file), file);
        ObjectNode auths = root.has("auths") && root.get("auths").isObject() ? (ObjectNode) root.get("auths") : root.putObject("auths");
        auths.putObject(host).put("auth", Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8)));
        write(file, root);
        return file;
    }

    /** Forgets {@code host}'s credentials (every host's when empty); false when there were none. */
    public static boolean remove(Map<String, String> env, Optional<String> host) throws IOException {
        Path file = writable(env);
        if (!Files.isRegularFile(file)) return false;
        ObjectNode root = objectOf(read(file), file);
        JsonNode auths = root.path("auths");
        if (!auths.isObject() || auths.isEmpty()) return false;
        boolean removed = host.isEmpty() || ((ObjectNode) auths).remove(host.get()) != null;
        if (host.isEmpty()) root.putObject("auths");
        if (removed) write(file, root);
        return removed;
    }

    private static ObjectNode objectOf(JsonNode node, Path file) {
        if (!node.isObject()) throw new OciException(file + ": not a JSON object: fix or remove it");
        return (ObjectNode) node;
    }

    private static void write(Path file, JsonNode root) throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        if (!Files.isDirectory(dir)) {
            Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        }
        Path tmp = Files.createTempFile(dir, ".auth", ".json", PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        try {
            Files.write(tmp, RegistryClient.JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(root));
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
