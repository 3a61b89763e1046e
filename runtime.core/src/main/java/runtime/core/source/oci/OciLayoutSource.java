package runtime.core.source.oci;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import com.fasterxml.jackson.databind.JsonNode;

import runtime.api.source.ImageSource;
import runtime.api.source.SourceContext;

/**
 * {@code oci-layout:PATH[:TAG]}: an image from an OCI image layout directory (skopeo's and umoci's
 * {@code oci:} format, {@code strata export-oci}). The tag is the manifest's
 * {@code org.opencontainers.image.ref.name}; without one the layout must hold a single image (or one
 * tagged latest). Blobs are verified against their digests like a registry's.
 */
public final class OciLayoutSource implements ImageSource {
    static final String REF_NAME = "org.opencontainers.image.ref.name";
    private static final long MAX_JSON = 8 << 20;

    @Override
    public String scheme() {
        return "oci-layout";
    }

    @Override
    public String description() {
        return "an OCI image layout directory: oci-layout:PATH[:TAG]";
    }

    @Override
    public String pull(String reference, SourceContext context) throws IOException {
        Path dir = context.workingDirectory().resolve(reference);
        Optional<String> tag = Optional.empty();
        if (!Files.isDirectory(dir) && reference.lastIndexOf(':') > 0) {
            dir = context.workingDirectory().resolve(reference.substring(0, reference.lastIndexOf(':')));
            tag = Optional.of(reference.substring(reference.lastIndexOf(':') + 1));
        }
        dir = dir.normalize();
        String label = "oci-layout:" + reference;
        if (!Files.isRegularFile(dir.resolve("index.json"))) throw new IllegalArgumentException(label + ": no OCI image layout (index.json) at " + dir);
        JsonNode index = RegistryClient.JSON.readTree(dir.resolve("index.json").toFile());
        JsonNode chosen = choose(index, tag, label);
        String manifestDigest = Digests.check(chosen.path("digest").asText(), label + ": index.json");
        String key = "oci-layout:" + dir + "@" + manifestDigest;
        Optional<String> cached = context.recall(key);
        if (cached.isPresent()) return cached.get();
        byte[] manifestBytes = read(dir, manifestDigest, label);
        JsonNode manifest = RegistryClient.JSON.readTree(manifestBytes);
        String mediaType = manifest.path("mediaType").asText(chosen.path("mediaType").asText(""));
        if (MediaTypes.isIndex(mediaType) || manifest.has("manifests")) {
            JsonNode entry = ImageAssembler.choosePlatform(manifest, context.environment(), label);
            String digest = Digests.check(entry.path("digest").asText(), label);
            manifest = RegistryClient.JSON.readTree(read(dir, digest, label));
            mediaType = manifest.path("mediaType").asText(entry.path("mediaType").asText(""));
        }
        ImageAssembler.Parsed parsed = ImageAssembler.parseManifest(manifest, mediaType, label);
        byte[] config = read(dir, parsed.configDigest(), label);
        Path root = dir;
        String id = ImageAssembler.assemble(context, label, config, parsed.layers(),
                (layer, file, progress) -> copyVerified(blob(root, layer.digest(), label), layer.digest(), file, progress, label));
        context.remember(key, id);
        return id;
    }

    private static JsonNode choose(JsonNode index, Optional<String> tag, String label) {
        List<String> tags = new ArrayList<>();
        List<JsonNode> all = new ArrayList<>();
        index.path("manifests").forEach(all::add);
        for (JsonNode m : all) {
            String name = m.path("annotations").path(REF_NAME).asText("");
            tags.add(name);
            if (tag.isPresent() && (name.equals(tag.get()) || name.endsWith(":" + tag.get()))) return m;
        }
        if (tag.isPresent()) throw new OciException(label + ": no image tagged " + tag.get() + " (tags: " + String.join(", ", tags) + ")");
        if (all.size() == 1) return all.getFirst();
        for (JsonNode m : all) {
            if (m.path("annotations").path(REF_NAME).asText("").equals("latest")) return m;
        }
        throw new OciException(label + ": " + (all.isEmpty() ? "the layout holds no image" : "several images; name one with :TAG (tags: " + String.join(", ", tags) + ")"));
    }

    static Path blob(Path dir, String digest, String label) {
        Digests.check(digest, label);
        Path file = dir.resolve("blobs").resolve(Digests.algorithm(digest)).resolve(Digests.hex(digest));
        if (!Files.isRegularFile(file)) throw new OciException(label + ": blob " + digest + " is missing");
        return file;
    }

    private static byte[] read(Path dir, String digest, String label) throws IOException {
        Path file = blob(dir, digest, label);
        if (Files.size(file) > MAX_JSON) throw new OciException(label + ": blob " + digest + " is too large for JSON");
        byte[] bytes = Files.readAllBytes(file);
        MessageDigest md = Digests.newDigest(digest);
        md.update(bytes);
        String actual = Digests.format(md);
        if (!actual.equals(digest)) throw new OciException(label + ": blob " + digest + ": digest mismatch (got " + actual + ")");
        return bytes;
    }

    /** Copies a blob to scratch while hashing it, so what is imported is exactly what was verified. */
    static void copyVerified(Path from, String digest, Path to, SourceContext.Progress progress, String label) throws IOException {
        MessageDigest md = Digests.newDigest(digest);
        try (InputStream in = new DigestInputStream(Files.newInputStream(from), md); OutputStream out = Files.newOutputStream(to)) {
            byte[] buf = new byte[1 << 16];
            int n;
            while ((n = in.read(buf)) > 0) {
                out.write(buf, 0, n);
                progress.advance(n);
            }
        }
        String actual = Digests.format(md);
        if (!actual.equals(digest)) {
            Files.deleteIfExists(to);
            throw new OciException(label + ": blob " + digest + ": digest mismatch (got " + actual + ")");
        }
    }
}
