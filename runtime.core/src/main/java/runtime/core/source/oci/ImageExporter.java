package runtime.core.source.oci;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPOutputStream;

import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import runtime.core.Engine;
import runtime.core.store.ImageConfig;
import runtime.core.store.Layer;

/**
 * Exports a store image as OCI blobs: each non-empty store layer (bottom first) as a tar+gzip blob,
 * an OCI image config (rootfs.diff_ids; Env, Entrypoint, Cmd, WorkingDir, User from the image's config)
 * and an OCI manifest; then pushes them to a registry, or writes an OCI image layout or a docker
 * archive ({@code docker load} format).
 */
public final class ImageExporter {
    /** One content-addressed file. */
    public record Blob(String digest, long size, Path file, String mediaType) {}

    /**
     * @param plainLayers the uncompressed layer tars (only when asked for, for docker archives)
     */
    public record Exported(List<Blob> layers, List<Path> plainLayers, List<String> diffIds, Blob config, Blob manifest) {}

    /** Pushes use their own client: a push is no pull and has no SourceContext. */
    private static final java.net.http.HttpClient HTTP = java.net.http.HttpClient.newBuilder()
            .followRedirects(java.net.http.HttpClient.Redirect.NORMAL).connectTimeout(java.time.Duration.ofSeconds(30)).build();

    private ImageExporter() {}

    /** Writes the image's blobs into {@code dir} (a scratch directory). */
    public static Exported export(Engine engine, Layer image, Path dir, boolean plain) throws IOException {
        boolean rootStore = !engine.ids().rootless();
        LayerTarWriter writer = new LayerTarWriter(rootStore, engine.ids().uids(), engine.ids().gids());
        List<Layer> chain = new ArrayList<>(engine.store().chain(image));
        java.util.Collections.reverse(chain);
        List<Blob> layers = new ArrayList<>();
        List<Path> plainLayers = new ArrayList<>();
        List<String> diffIds = new ArrayList<>();
        ArrayNode history = RegistryClient.JSON.createArrayNode();
        for (Layer layer : chain) {
            String instruction = engine.store().info(layer.id()).map(i -> i.instruction()).orElse("");
            if (writer.isEmpty(layer.root())) {
                history.addObject().put("created_by", "strata: " + instruction).put("empty_layer", true);
                continue;
            }
            int n = layers.size();
            Path gz = dir.resolve("layer-" + n + ".tar.gz");
            Path tarFile = plain ? dir.resolve("layer-" + n + ".tar") : null;
            MessageDigest diff = Digests.sha256();
            MessageDigest compressed = Digests.sha256();
            try (OutputStream gzFile = new BufferedOutputStream(Files.newOutputStream(gz), 1 << 16);
                 OutputStream plainFile = tarFile == null ? OutputStream.nullOutputStream()
                         : new BufferedOutputStream(Files.newOutputStream(tarFile), 1 << 16);
                 GZIPOutputStream gzip = new GZIPOutputStream(new DigestOutputStream(gzFile, compressed), 1 << 16)) {
                OutputStream tee = new OutputStream() {
                    @Override
                    public void write(int b) throws IOException {
                        write(new byte[] {(byte) b}, 0, 1);
                    }

                    @Override
                    public void write(byte[] b, int off, int len) throws IOException {
                        diff.update(b, off, len);
                        plainFile.write(b, off, len);
                        gzip.write(b, off, len);
                    }
                };
                writer.write(layer.root(), tee);
                gzip.finish();
            }
            layers.add(new Blob(Digests.format(compressed), Files.size(gz), gz, MediaTypes.OCI_LAYER_GZIP));
            if (tarFile != null) plainLayers.add(tarFile);
            diffIds.add(Digests.format(diff));
            history.addObject().put("created_by", "strata: " + instruction);
        }
        if (layers.isEmpty()) throw new OciException("image " + image.shortId() + " has no files to export");
        ImageConfig cfg = ImageConfig.read(image.directory());
        ObjectNode config = RegistryClient.JSON.createObjectNode();
        String[] platform = ImageAssembler.platform(engine.environment());
        config.put("architecture", platform[1]);
        if (!platform[2].isEmpty()) config.put("variant", platform[2]);
        config.put("os", "linux");
        ObjectNode run = config.putObject("config");
        if (!cfg.env().isEmpty()) strings(run.putArray("Env"), cfg.envList());
        if (!cfg.entrypoint().isEmpty()) strings(run.putArray("Entrypoint"), cfg.entrypoint());
        if (!cfg.cmd().isEmpty()) strings(run.putArray("Cmd"), cfg.cmd());
        cfg.workdir().ifPresent(w -> run.put("WorkingDir", w));
        cfg.user().ifPresent(u -> run.put("User", u));
        cfg.stopSignal().ifPresent(s -> run.put("StopSignal", s));
        ObjectNode rootfs = config.putObject("rootfs");
        rootfs.put("type", "layers");
        strings(rootfs.putArray("diff_ids"), diffIds);
        config.set("history", history);
        Blob configBlob = write(dir, "config.json", RegistryClient.JSON.writeValueAsBytes(config), MediaTypes.OCI_CONFIG);
        ObjectNode manifest = RegistryClient.JSON.createObjectNode();
        manifest.put("schemaVersion", 2);
        manifest.put("mediaType", MediaTypes.OCI_MANIFEST);
        manifest.set("config", descriptor(configBlob));
        ArrayNode ls = manifest.putArray("layers");
        for (Blob b : layers) ls.add(descriptor(b));
        Blob manifestBlob = write(dir, "manifest.json", RegistryClient.JSON.writeValueAsBytes(manifest), MediaTypes.OCI_MANIFEST);
        return new Exported(layers, plainLayers, diffIds, configBlob, manifestBlob);
    }

    private static void strings(ArrayNode array, List<String> values) {
        values.forEach(array::add);
    }

    static ObjectNode descriptor(Blob b) {
        ObjectNode d = RegistryClient.JSON.createObjectNode();
        d.put("mediaType", b.mediaType());
        d.put("digest", b.digest());
        d.put("size", b.size());
        return d;
    }

    private static Blob write(Path dir, String name, byte[] bytes, String mediaType) throws IOException {
        Path file = dir.resolve(name);
        Files.write(file, bytes);
        return new Blob(Digests.sha256(bytes), bytes.length, file, mediaType);
    }

    /**
     * Pushes to {@code REGISTRY/REPO[:TAG]}: blobs the registry has (HEAD) are skipped; blobs larger than
     * {@code $STRATA_PUSH_CHUNK_SIZE} bytes (default 64 MiB) are uploaded in chunks. Returns the
     * pushed reference with its manifest digest.
     */
    /** {@code $STRATA_PUSH_CHUNK_SIZE}: a positive number of bytes, 64 MiB when unset. */
    public static long chunkSize(java.util.Map<String, String> env) {
        String configured = env.get("STRATA_PUSH_CHUNK_SIZE");
        if (configured == null || configured.isEmpty()) return 64L << 20;
        try {
            long n = Long.parseLong(configured.strip());
            if (n > 0) return n;
        } catch (NumberFormatException e) {
            // refused below
        }
        throw new IllegalArgumentException("bad STRATA_PUSH_CHUNK_SIZE '" + configured + "': want a positive number of bytes");
    }

    public static String push(Engine engine, Exported image, String target) throws IOException {
        Reference ref = Reference.parse(target);
        if (ref.digest().isPresent()) throw new IllegalArgumentException("push to " + target + ": give a tag, not a digest");
        RegistryClient client = new RegistryClient(ref, HTTP, engine.environment(), true);
        long chunk = chunkSize(engine.environment());
        List<Blob> blobs = new ArrayList<>(image.layers());
        blobs.add(image.config());
        for (Blob b : blobs) {
            if (!client.hasBlob(b.digest())) client.uploadBlob(b.digest(), b.file(), chunk);
        }
        String digest = client.putManifest(ref.tag().orElseThrow(), MediaTypes.OCI_MANIFEST, Files.readAllBytes(image.manifest().file()));
        return ref.name() + ":" + ref.tag().orElseThrow() + "@" + digest;
    }

    /** Writes (or adds to) an OCI image layout in {@code dir}, the manifest tagged {@code tag}. */
    public static void writeLayout(Exported image, Path dir, String tag) throws IOException {
        if (Files.exists(dir) && !Files.isDirectory(dir)) throw new IllegalArgumentException(dir + " is not a directory");
        Path index = dir.resolve("index.json");
        ObjectNode indexJson;
        if (Files.isRegularFile(index)) {
            indexJson = (ObjectNode) RegistryClient.JSON.readTree(index.toFile());
        } else {
            if (Files.isDirectory(dir)) {
                try (var s = Files.list(dir)) {
                    if (s.findAny().isPresent()) throw new IllegalArgumentException(dir + " is neither empty nor an OCI image layout");
                }
            }
            indexJson = RegistryClient.JSON.createObjectNode();
            indexJson.put("schemaVersion", 2);
            indexJson.put("mediaType", MediaTypes.OCI_INDEX);
            indexJson.putArray("manifests");
        }
        Path blobs = Files.createDirectories(dir.resolve("blobs/sha256"));
        List<Blob> all = new ArrayList<>(image.layers());
        all.add(image.config());
        all.add(image.manifest());
        for (Blob b : all) {
            Path target = blobs.resolve(Digests.hex(b.digest()));
            if (!Files.exists(target)) {
                Path tmp = Files.createTempFile(blobs, ".tmp-", "");
                Files.copy(b.file(), tmp, StandardCopyOption.REPLACE_EXISTING);
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
            }
        }
        Files.writeString(dir.resolve("oci-layout"), "{\"imageLayoutVersion\":\"1.0.0\"}");
        ArrayNode manifests = RegistryClient.JSON.createArrayNode();
        for (JsonNode m : indexJson.path("manifests")) {
            if (!tag.equals(m.path("annotations").path(OciLayoutSource.REF_NAME).asText(null))) manifests.add(m);
        }
        ObjectNode d = descriptor(image.manifest());
        d.putObject("annotations").put(OciLayoutSource.REF_NAME, tag);
        manifests.add(d);
        indexJson.set("manifests", manifests);
        Path tmp = Files.createTempFile(dir, ".index-", ".json");
        Files.write(tmp, RegistryClient.JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(indexJson));
        Files.move(tmp, index, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    /** Writes a docker archive ({@code docker save} format: manifest.json, config, one layer.tar per layer). */
    public static void writeDockerArchive(Exported image, Path file, String repoTag) throws IOException {
        Path tmp = Files.createTempFile(file.toAbsolutePath().getParent(), ".strata-", ".tar");
        boolean ok = false;
        try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(tmp), 1 << 16);
             TarArchiveOutputStream tar = new TarArchiveOutputStream(out)) {
            tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
            String configName = Digests.hex(image.config().digest()) + ".json";
            add(tar, configName, image.config().file());
            ArrayNode layerNames = RegistryClient.JSON.createArrayNode();
            for (int i = 0; i < image.plainLayers().size(); i++) {
                String name = Digests.hex(image.diffIds().get(i)) + "/layer.tar";
                add(tar, name, image.plainLayers().get(i));
                layerNames.add(name);
            }
            ArrayNode manifest = RegistryClient.JSON.createArrayNode();
            ObjectNode entry = manifest.addObject();
            entry.put("Config", configName);
            ArrayNode tags = entry.putArray("RepoTags");
            if (repoTag != null) tags.add(repoTag);
            entry.set("Layers", layerNames);
            byte[] bytes = RegistryClient.JSON.writeValueAsBytes(manifest);
            TarArchiveEntry e = new TarArchiveEntry("manifest.json");
            e.setSize(bytes.length);
            e.setMode(0644);
            tar.putArchiveEntry(e);
            tar.write(bytes);
            tar.closeArchiveEntry();
            tar.finish();
            ok = true;
        } finally {
            if (!ok) Files.deleteIfExists(tmp);
        }
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    private static void add(TarArchiveOutputStream tar, String name, Path file) throws IOException {
        TarArchiveEntry e = new TarArchiveEntry(name);
        e.setSize(Files.size(file));
        e.setMode(0644);
        tar.putArchiveEntry(e);
        Files.copy(file, tar);
        tar.closeArchiveEntry();
    }
}
