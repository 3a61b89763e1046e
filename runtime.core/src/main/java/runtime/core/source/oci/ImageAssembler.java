package runtime.core.source.oci;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;

import com.fasterxml.jackson.databind.JsonNode;

import runtime.api.source.RunConfig;
import runtime.api.source.SourceContext;
import runtime.core.store.Decompress;
import runtime.core.store.ImageStore;

/**
 * Turns an image (config plus layer blobs, from a registry, an OCI layout or a docker archive) into
 * store layers. Every missing layer is first fetched (in parallel, at most 3 at a time) and verified
 * (blob digest by the fetcher, then the uncompressed digest against the config's {@code rootfs.diff_ids}
 * and a scan for entries that escape the layer); only when all are good is anything imported, so a bad
 * image leaves nothing behind. Each layer is keyed {@code "oci-layer " + diffId} on its parent, so images
 * that share a base share its layers.
 */
final class ImageAssembler {
    static final int PARALLEL = 3;

    /** A layer blob as a manifest describes it. */
    record LayerRef(String digest, long size, String mediaType) {}

    /** Puts the layer's verified blob into {@code file}. */
    interface Fetcher {
        void fetch(LayerRef layer, Path file, SourceContext.Progress progress) throws IOException;
    }

    private ImageAssembler() {}

    static String assemble(SourceContext context, String label, byte[] configBytes, List<LayerRef> layers, Fetcher fetcher)
            throws IOException {
        JsonNode config = RegistryClient.JSON.readTree(configBytes);
        List<String> diffIds = new ArrayList<>();
        for (JsonNode d : config.path("rootfs").path("diff_ids")) diffIds.add(Digests.check(d.asText(), label + ": config diff_id"));
        if (diffIds.size() != layers.size()) {
            throw new OciException(label + ": the config lists " + diffIds.size() + " layers, the manifest " + layers.size());
        }
        if (layers.isEmpty()) throw new OciException(label + ": the image has no layers");
        List<Integer> missing = new ArrayList<>();
        Optional<String> parent = Optional.empty();
        for (int i = 0; i < layers.size(); i++) {
            String instruction = instruction(diffIds.get(i));
            if (!context.hasLayer(parent, instruction)) missing.add(i);
            parent = Optional.of(ImageStore.layerId(parent, instruction));
        }
        Path[] files = new Path[layers.size()];
        runtime.core.store.TarExtractor.Limits limits = runtime.core.store.TarExtractor.Limits.fromEnvironment(context.environment());
        if (!missing.isEmpty()) {
            Path scratch = context.scratch();
            long total = missing.stream().mapToLong(i -> Math.max(0, layers.get(i).size())).sum();
            try (SourceContext.Progress progress = context.progress(label + " (" + missing.size() + " of " + layers.size() + " layers)", total);
                 ExecutorService pool = Executors.newFixedThreadPool(Math.min(PARALLEL, missing.size()), r -> {
                     Thread t = new Thread(r, "oci-fetch");
                     t.setDaemon(true);
                     return t;
                 })) {
                List<Future<?>> jobs = new ArrayList<>();
                for (int i : missing) {
                    LayerRef layer = layers.get(i);
                    Path file = scratch.resolve("blob-" + i + "-" + Digests.hex(layer.digest()));
                    files[i] = file;
                    String diffId = diffIds.get(i);
                    jobs.add(pool.submit(() -> {
                        fetcher.fetch(layer, file, progress);
                        verifyLayer(file, layer.digest(), diffId, label, limits);
                        return null;
                    }));
                }
                try {
                    for (Future<?> job : jobs) job.get();
                } catch (ExecutionException e) {
                    jobs.forEach(j -> j.cancel(true));
                    Throwable cause = e.getCause();
                    if (cause instanceof IOException io) throw io;
                    if (cause instanceof RuntimeException re) throw re;
                    throw new IOException(cause);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new java.io.InterruptedIOException("interrupted");
                }
            }
        }
        parent = Optional.empty();
        for (int i = 0; i < layers.size(); i++) {
            String instruction = instruction(diffIds.get(i));
            if (files[i] == null) {
                parent = Optional.of(ImageStore.layerId(parent, instruction));
                continue;
            }
            try (InputStream in = Files.newInputStream(files[i])) {
                parent = Optional.of(context.importLayer(parent, instruction, in));
            }
            Files.deleteIfExists(files[i]);
        }
        return context.configure(parent.orElseThrow(), runConfig(config.path("config")));
    }

    /** A manifest's config descriptor and layers; schema 1 and unknown layer types are refused. */
    record Parsed(String configDigest, long configSize, List<LayerRef> layers) {}

    static Parsed parseManifest(JsonNode m, String mediaType, String label) {
        if (m.path("schemaVersion").asInt() == 1 || MediaTypes.DOCKER_SCHEMA1.equals(mediaType)) {
            throw new OciException(label + ": Docker schema 1 manifests are not supported");
        }
        JsonNode config = m.path("config");
        if (!config.isObject()) throw new OciException(label + ": the manifest has no config (" + mediaType + ")");
        List<LayerRef> layers = new ArrayList<>();
        for (JsonNode l : m.path("layers")) {
            String type = l.path("mediaType").asText("");
            if (!MediaTypes.isLayer(type)) throw new OciException(label + ": unsupported layer media type '" + type + "'");
            layers.add(new LayerRef(Digests.check(l.path("digest").asText(), label + ": layer"), l.path("size").asLong(-1), type));
        }
        return new Parsed(Digests.check(config.path("digest").asText(), label + ": config"), config.path("size").asLong(-1), layers);
    }

    static String instruction(String diffId) {
        return "oci-layer " + diffId;
    }

    /** The image config's Env, WorkingDir, Entrypoint, Cmd, User and StopSignal. */
    static RunConfig runConfig(JsonNode c) {
        return new RunConfig(strings(c.path("Env")), text(c.path("WorkingDir")), strings(c.path("Entrypoint")),
                strings(c.path("Cmd")), text(c.path("User")), text(c.path("StopSignal")));
    }

    private static List<String> strings(JsonNode array) {
        List<String> list = new ArrayList<>();
        if (array.isArray()) array.forEach(n -> list.add(n.asText()));
        return list;
    }

    private static Optional<String> text(JsonNode n) {
        return n.isTextual() && !n.asText().isEmpty() ? Optional.of(n.asText()) : Optional.empty();
    }

    /**
     * Checks a fetched layer before anything is unpacked: its uncompressed content must hash to the
     * config's diff_id, and no entry may climb out of the layer with {@code ..} or be written through a
     * symlink the same layer made (the classic escape: {@code evil -> /etc}, then {@code evil/passwd}).
     * The extractor would confine both, but an image that tries them is refused outright.
     */
    static void verifyLayer(Path file, String blobDigest, String diffId, String label) throws IOException {
        verifyLayer(file, blobDigest, diffId, label, runtime.core.store.TarExtractor.Limits.DEFAULT);
    }

    /** Past the end-of-archive blocks a layer has only padding; more is a decompression bomb's tail. */
    private static final long MAX_TRAILER = 16 << 20;

    /**
     * As above, within {@code limits}: the sizes the entries declare (sparse files at full size) and
     * their number, so that a bomb is refused before anything is unpacked or the whole blob inflated.
     */
    static void verifyLayer(Path file, String blobDigest, String diffId, String label, runtime.core.store.TarExtractor.Limits limits)
            throws IOException {
        MessageDigest md = Digests.newDigest(diffId);
        String what = label + ": layer " + blobDigest;
        try (InputStream raw = Files.newInputStream(file);
             DigestInputStream plain = new DigestInputStream(Decompress.open(raw), md)) {
            TarArchiveInputStream tar = new runtime.core.store.TarExtractor.CheckedTarInputStream(plain);
            Set<String> symlinks = new HashSet<>();
            TarArchiveEntry e;
            long declared = 0;
            long count = 0;
            while ((e = tar.getNextEntry()) != null) {
                declared += Math.max(0, e.isSparse() ? Math.max(e.getRealSize(), e.getSize()) : e.getSize());
                if (declared > limits.maxBytes() || declared < 0) {
                    throw new OciException(what + ": unpacks to more than " + limits.maxBytes() + " bytes (the limit is "
                            + runtime.core.store.TarExtractor.Limits.SIZE_VARIABLE + ")");
                }
                if (++count > limits.maxEntries()) {
                    throw new OciException(what + ": more than " + limits.maxEntries() + " entries (the limit is "
                            + runtime.core.store.TarExtractor.Limits.ENTRIES_VARIABLE + ")");
                }
                String path = confined(e.getName(), what, e.getName());
                for (String prefix = parentOf(path); !prefix.isEmpty(); prefix = parentOf(prefix)) {
                    if (symlinks.contains(prefix)) {
                        throw new OciException(what + ": tar entry " + e.getName() + " goes through the symlink " + prefix + " (refused)");
                    }
                }
                if (e.isSymbolicLink()) symlinks.add(path);
                else symlinks.remove(path);
                if (e.isLink()) confined(e.getLinkName(), what, e.getName());
            }
            byte[] buffer = new byte[1 << 16];
            long trailer = 0;
            for (int n; (n = plain.read(buffer)) > 0; ) {
                trailer += n;
                if (trailer > MAX_TRAILER) throw new OciException(what + ": more than " + MAX_TRAILER + " bytes after the end of the archive (refused)");
            }
        } catch (OciException e) {
            throw e;
        } catch (IOException | IllegalArgumentException e) {
            throw new OciException(what + ": not a readable tar (" + RegistryClient.oneLine(e) + ")", e);
        }
        String actual = Digests.format(md);
        if (!actual.equals(diffId)) throw new OciException(what + ": content digest " + actual + " is not the config's diff_id " + diffId);
    }

    private static String parentOf(String path) {
        int slash = path.lastIndexOf('/');
        return slash < 0 ? "" : path.substring(0, slash);
    }

    /** The normalised relative path of a tar name; an error if {@code ..} climbs above the layer. */
    static String confined(String name, String what, String entry) {
        Deque<String> parts = new ArrayDeque<>();
        for (String part : name.split("/")) {
            if (part.isEmpty() || part.equals(".")) continue;
            if (part.equals("..")) {
                if (parts.isEmpty()) throw new OciException(what + ": tar entry " + entry + " points outside the layer (refused)");
                parts.removeLast();
            } else {
                parts.addLast(part);
            }
        }
        return String.join("/", parts);
    }

    /** This machine's platform, or {@code $STRATA_PLATFORM} (os/arch[/variant]). */
    static String[] platform(Map<String, String> env) {
        String forced = env.get("STRATA_PLATFORM");
        if (forced != null && !forced.isEmpty()) {
            String[] p = forced.split("/");
            if (p.length < 2 || p.length > 3 || java.util.Arrays.stream(p).anyMatch(f -> !f.matches("[a-z0-9_.-]+"))) {
                throw new IllegalArgumentException("bad STRATA_PLATFORM '" + forced + "': want os/arch[/variant], e.g. linux/arm64/v8");
            }
            return p.length == 3 ? p : new String[] {p[0], p[1], ""};
        }
        String arch = switch (System.getProperty("os.arch")) {
            case "amd64", "x86_64" -> "amd64";
            case "aarch64", "arm64" -> "arm64";
            case "arm" -> "arm";
            case "ppc64le" -> "ppc64le";
            case "s390x" -> "s390x";
            case "riscv64" -> "riscv64";
            case "x86", "i386", "i686" -> "386";
            default -> System.getProperty("os.arch");
        };
        return new String[] {"linux", arch, arch.equals("arm64") ? "v8" : ""};
    }

    /** The descriptor for this platform in an OCI index or Docker manifest list. */
    static JsonNode choosePlatform(JsonNode index, Map<String, String> env, String label) {
        String[] want = platform(env);
        JsonNode best = null;
        List<String> offered = new ArrayList<>();
        for (JsonNode m : index.path("manifests")) {
            JsonNode p = m.path("platform");
            String os = p.path("os").asText("");
            String arch = p.path("architecture").asText("");
            String variant = p.path("variant").asText("");
            offered.add(os + "/" + arch + (variant.isEmpty() ? "" : "/" + variant));
            if (!os.equals(want[0]) || !arch.equals(want[1])) continue;
            // arm64's variant is v8 when absent; an exact variant beats none.
            boolean exact = variant.equals(want[2]) || (variant.isEmpty() && want[2].equals("v8"));
            if (!want[2].isEmpty() && !variant.isEmpty() && !exact) continue;
            if (best == null || exact) {
                best = m;
                if (exact) break;
            }
        }
        if (best == null) {
            throw new OciException(label + ": no " + String.join("/", want).replaceAll("/$", "") + " image in the manifest list (it has "
                    + String.join(", ", offered) + ")");
        }
        return best;
    }
}
