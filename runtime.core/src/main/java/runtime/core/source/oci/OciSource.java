package runtime.core.source.oci;

import java.io.IOException;
import java.net.ConnectException;
import java.util.Optional;

import com.fasterxml.jackson.databind.JsonNode;

import runtime.api.source.ImageSource;
import runtime.api.source.SourceContext;

/**
 * {@code oci:[REGISTRY/]REPOSITORY[:TAG|@DIGEST]}: an image from an OCI / Docker registry (distribution
 * spec). Manifest lists choose this machine's platform; every manifest and blob is verified against its
 * digest. A pull is remembered as {@code oci:CANONICAL@MANIFEST-DIGEST}, so pulling again costs one
 * manifest request; the tag is remembered too, and used when the registry cannot be reached.
 */
public final class OciSource implements ImageSource {
    /** Checks {@code $STRATA_PLATFORM} (os/arch[/variant]) as a pull reads it; IllegalArgumentException when bad. */
    public static void checkPlatform(java.util.Map<String, String> env) {
        ImageAssembler.platform(env);
    }

    private static final long MAX_CONFIG = 8 << 20;

    @Override
    public String scheme() {
        return "oci";
    }

    @Override
    public String description() {
        return "an image from an OCI/Docker registry: oci:[REGISTRY/]REPO[:TAG|@DIGEST] (Docker Hub by default)";
    }

    @Override
    public String pull(String reference, SourceContext context) throws IOException {
        Reference ref = Reference.parse(reference);
        String label = ref.toString();
        RegistryClient client = new RegistryClient(ref, context.http(), context.environment(), false);
        String tagKey = "oci:" + ref.canonical();
        RegistryClient.Manifest top;
        try {
            top = client.manifest(ref.manifestReference());
        } catch (OciException e) {
            Optional<String> known = context.recall(tagKey);
            if (e.getCause() instanceof ConnectException && known.isPresent()) {
                context.warn(e.getMessage() + "; using the image pulled before");
                return known.get();
            }
            throw e;
        }
        JsonNode json = top.json();
        boolean index = MediaTypes.isIndex(top.mediaType()) || (top.mediaType().isEmpty() && json.has("manifests"));
        JsonNode chosen = index ? ImageAssembler.choosePlatform(json, context.environment(), label) : null;
        // A manifest list names one image per platform: the key names the platform's manifest too.
        String key = "oci:" + ref.canonical() + "@" + top.digest() + (index ? "@" + chosen.path("digest").asText() : "");
        Optional<String> cached = context.recall(key);
        if (cached.isPresent()) return cached.get();
        RegistryClient.Manifest manifest = top;
        if (index) {
            manifest = client.manifest(Digests.check(chosen.path("digest").asText(), label + ": manifest list entry"));
            json = manifest.json();
        }
        ImageAssembler.Parsed parsed = ImageAssembler.parseManifest(json, manifest.mediaType(), label);
        if (parsed.configSize() > MAX_CONFIG) throw new OciException(label + ": image config larger than 8 MiB");
        byte[] config = client.blobBytes(parsed.configDigest(), MAX_CONFIG);
        String id = ImageAssembler.assemble(context, label, config, parsed.layers(),
                (layer, file, progress) -> client.downloadBlob(layer.digest(), layer.size(), file, progress));
        context.remember(key, id);
        context.remember(tagKey, id);
        return id;
    }
}
