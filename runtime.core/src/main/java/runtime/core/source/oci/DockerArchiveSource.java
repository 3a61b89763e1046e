package runtime.core.source.oci;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;

import com.fasterxml.jackson.databind.JsonNode;

import runtime.api.source.ImageSource;
import runtime.api.source.SourceContext;
import runtime.core.store.Decompress;

/**
 * {@code docker-archive:PATH[:REPO:TAG]}: a {@code docker save} tar (manifest.json, the config, one tar
 * per layer; the archive itself may be compressed). Layers are verified against the config's diff_ids,
 * the config against the digest its file name carries. Keyed by the config's digest (the image id).
 */
public final class DockerArchiveSource implements ImageSource {
    @Override
    public String scheme() {
        return "docker-archive";
    }

    @Override
    public String description() {
        return "a docker save tar: docker-archive:PATH[:REPO:TAG]";
    }

    @Override
    public String pull(String reference, SourceContext context) throws IOException {
        Path file = context.workingDirectory().resolve(reference);
        Optional<String> wanted = Optional.empty();
        if (!Files.isRegularFile(file)) {
            // PATH:REPO:TAG: the path ends at the first colon after which a file exists.
            for (int i = reference.indexOf(':'); i > 0; i = reference.indexOf(':', i + 1)) {
                Path candidate = context.workingDirectory().resolve(reference.substring(0, i));
                if (Files.isRegularFile(candidate)) {
                    file = candidate;
                    wanted = Optional.of(reference.substring(i + 1));
                    break;
                }
            }
        }
        String label = "docker-archive:" + reference;
        if (!Files.isRegularFile(file)) throw new IllegalArgumentException(label + ": no such file");
        Path dir = Files.createDirectory(context.scratch().resolve("docker-archive"));
        Map<String, Path> members = new HashMap<>();
        Map<String, String> links = new HashMap<>();
        try (InputStream raw = Files.newInputStream(file); InputStream in = Decompress.open(raw)) {
            TarArchiveInputStream tar = new runtime.core.store.TarExtractor.CheckedTarInputStream(in);
            TarArchiveEntry e;
            int n = 0;
            while ((e = tar.getNextEntry()) != null) {
                String name = ImageAssembler.confined(e.getName(), label, e.getName());
                if (e.isSymbolicLink()) {
                    // docker save links a layer it already wrote: "b/layer.tar -> ../a/layer.tar"
                    String parent = name.contains("/") ? name.substring(0, name.lastIndexOf('/') + 1) : "";
                    links.put(name, ImageAssembler.confined(parent + e.getLinkName(), label, e.getName()));
                } else if (e.isFile()) {
                    // Members are stored under numbers: names in the archive never become paths here.
                    Path target = dir.resolve(Integer.toString(n++));
                    Files.copy(tar, target, StandardCopyOption.REPLACE_EXISTING);
                    members.put(name, target);
                }
            }
        } catch (OciException e) {
            throw e;
        } catch (IOException e) {
            throw new OciException(label + ": not a readable tar (" + RegistryClient.oneLine(e) + ")", e);
        }
        JsonNode manifest = json(Files.readAllBytes(member(members, links, "manifest.json", label)), label + ": manifest.json");
        if (!manifest.isArray() || manifest.isEmpty() || !manifest.get(0).isObject()) {
            throw new OciException(label + ": manifest.json is not a list of images (not an archive of docker save?)");
        }
        JsonNode entry = null;
        List<String> tags = new ArrayList<>();
        for (JsonNode m : manifest) {
            for (JsonNode t : m.path("RepoTags")) {
                tags.add(t.asText());
                if (wanted.isPresent() && (t.asText().equals(wanted.get()) || t.asText().endsWith("/" + wanted.get()))) entry = m;
            }
        }
        if (wanted.isPresent() && entry == null) throw new OciException(label + ": no image tagged " + wanted.get() + " (tags: " + String.join(", ", tags) + ")");
        if (entry == null) {
            if (manifest.size() != 1) throw new OciException(label + ": " + manifest.size() + " images in the archive; name one with :REPO:TAG");
            entry = manifest.get(0);
        }
        String configName = entry.path("Config").asText("");
        if (configName.isEmpty()) throw new OciException(label + ": manifest.json names no Config for the image");
        byte[] config = Files.readAllBytes(member(members, links, configName, label));
        String configDigest = Digests.sha256(config);
        String base = configName.substring(configName.lastIndexOf('/') + 1).replaceFirst("\\.json$", "");
        if (base.matches("[a-f0-9]{64}") && !base.equals(Digests.hex(configDigest))) {
            throw new OciException(label + ": config " + configName + ": digest mismatch (got " + configDigest + ")");
        }
        String key = "docker-archive:" + configDigest;
        Optional<String> cached = context.recall(key);
        if (cached.isPresent()) return cached.get();
        List<ImageAssembler.LayerRef> layers = new ArrayList<>();
        List<Path> files = new ArrayList<>();
        JsonNode diffIds = json(config, label + ": config " + configName).path("rootfs").path("diff_ids");
        int i = 0;
        for (JsonNode l : entry.path("Layers")) {
            Path p = member(members, links, l.asText(), label);
            files.add(p);
            // A layer.tar's digest is its diff_id: the content check below covers it.
            layers.add(new ImageAssembler.LayerRef(diffIds.path(i++).asText("sha256:" + "0".repeat(64)), Files.size(p), "application/vnd.docker.image.rootfs.diff.tar"));
        }
        String id = ImageAssembler.assemble(context, label, config, layers, (layer, target, progress) -> {
            Path source = files.get(layers.indexOf(layer));
            Files.copy(source, target, StandardCopyOption.REPLACE_EXISTING);
            progress.advance(Files.size(target));
        });
        context.remember(key, id);
        return id;
    }

    private static Path member(Map<String, Path> members, Map<String, String> links, String name, String label) {
        String n = ImageAssembler.confined(name, label, name);
        for (int hops = 0; links.containsKey(n) && hops < 8; hops++) n = links.get(n);
        Path p = members.get(n);
        if (p == null) throw new OciException(label + ": the archive has no " + name);
        return p;
    }

    /** {@code bytes} as JSON; not JSON is one line naming {@code what}. */
    private static JsonNode json(byte[] bytes, String what) {
        try {
            return RegistryClient.JSON.readTree(bytes);
        } catch (IOException e) {
            throw new OciException(what + " is not valid JSON (" + RegistryClient.oneLine(e) + ")");
        }
    }
}
