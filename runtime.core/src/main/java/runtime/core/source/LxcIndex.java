package runtime.core.source;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import runtime.core.store.StoreException;

/**
 * The two index formats of an LXC image server (images.linuxcontainers.org and its mirrors): the
 * legacy {@code meta/1.0/index-user} list that plash read, and simplestreams (LXD/Incus), which also
 * carries each file's SHA-256. Pure parsing: no I/O, so the formats are unit tested.
 */
final class LxcIndex {
    private static final ObjectMapper JSON = new ObjectMapper();

    private LxcIndex() {}

    /** What to pull: DISTRO:RELEASE[:ARCH[:VARIANT]]. */
    record Wanted(String distro, String release, String arch, String variant) {
        static Wanted parse(String reference, String hostArch) {
            String[] parts = reference.split(":", -1);
            if (parts.length < 2 || parts.length > 4 || java.util.Arrays.stream(parts).anyMatch(String::isEmpty)) {
                throw new IllegalArgumentException("lxc:" + reference + ": expected lxc:DISTRO:RELEASE[:ARCH[:VARIANT]]");
            }
            return new Wanted(parts[0], parts[1], parts.length > 2 ? parts[2] : hostArch,
                    parts.length > 3 ? parts[3] : "default");
        }

        @Override
        public String toString() {
            return distro + ":" + release + ":" + arch + ":" + variant;
        }
    }

    /**
     * The root filesystem to download: its path on the server, and its SHA-256 and size when the index
     * gives them (simplestreams does, index-user does not).
     */
    record Item(String path, Optional<String> sha256, long size, String build) {}

    /** The Debian architecture name of this JVM's machine, as image servers name it. */
    static String hostArch() {
        String a = System.getProperty("os.arch");
        return switch (a) {
            case "amd64", "x86_64" -> "amd64";
            case "aarch64" -> "arm64";
            case "x86", "i386", "i686" -> "i386";
            case "ppc64le" -> "ppc64el";
            default -> a;
        };
    }

    /**
     * index-user: one image per line, {@code distro;release;arch;variant;build;path}. The newest build of
     * the wanted image (builds are dates, so the greatest string) wins; its rootfs is PATH/rootfs.tar.xz.
     */
    static Optional<Item> fromIndexUser(String text, Wanted wanted) {
        Item best = null;
        for (String line : text.split("\n")) {
            String[] f = line.strip().split(";", -1);
            if (f.length < 6) continue;
            if (!f[0].equals(wanted.distro()) || !f[1].equals(wanted.release()) || !f[2].equals(wanted.arch())
                    || !f[3].equals(wanted.variant())) {
                continue;
            }
            // Paths are server-absolute there ("/images/..."): relative to the server's base URL here.
            String dir = f[5].replaceFirst("^/+", "");
            dir = dir.endsWith("/") ? dir : dir + "/";
            checkRelative(dir);
            if (best == null || f[4].compareTo(best.build()) > 0) {
                best = new Item(dir + "rootfs.tar.xz", Optional.empty(), -1, f[4]);
            }
        }
        return Optional.ofNullable(best);
    }

    /** simplestreams' streams/v1/index.json: the path of the product file with datatype image-downloads. */
    static String productsPath(byte[] indexJson) throws IOException {
        JsonNode index = parse(indexJson, "streams/v1/index.json").path("index");
        for (Map.Entry<String, JsonNode> e : index.properties()) {
            JsonNode v = e.getValue();
            if (v.path("datatype").asText().equals("image-downloads") && v.hasNonNull("path")) {
                String path = v.get("path").asText();
                checkRelative(path);
                return path;
            }
        }
        throw new StoreException("streams/v1/index.json lists no image-downloads product file");
    }

    /**
     * The product file: products keyed {@code distro:release:arch:variant} (fields os, release, arch,
     * variant too), versions keyed by build date, each with items; the one with ftype root.tar.xz is the
     * root filesystem. The newest version that has one wins.
     */
    static Optional<Item> fromProducts(byte[] productsJson, Wanted wanted) throws IOException {
        JsonNode products = parse(productsJson, "the simplestreams product file").path("products");
        List<JsonNode> matches = new ArrayList<>();
        for (Map.Entry<String, JsonNode> e : products.properties()) {
            JsonNode p = e.getValue();
            boolean byName = e.getKey().equalsIgnoreCase(wanted.toString());
            boolean byFields = p.path("os").asText().equalsIgnoreCase(wanted.distro())
                    && p.path("release").asText().equals(wanted.release())
                    && p.path("arch").asText().equals(wanted.arch())
                    && p.path("variant").asText("default").equals(wanted.variant());
            if (byName || byFields) matches.add(p);
        }
        Item best = null;
        for (JsonNode p : matches) {
            for (Map.Entry<String, JsonNode> v : p.path("versions").properties()) {
                for (JsonNode item : v.getValue().path("items")) {
                    if (!item.path("ftype").asText().equals("root.tar.xz")) continue;
                    String path = item.path("path").asText("");
                    String sha = item.path("sha256").asText("");
                    if (path.isEmpty() || !sha.matches("[0-9a-fA-F]{64}")) {
                        throw new StoreException("simplestreams item " + v.getKey() + " of " + wanted
                                + " lacks a path or sha256");
                    }
                    checkRelative(path);
                    if (best == null || v.getKey().compareTo(best.build()) > 0) {
                        best = new Item(path, Optional.of(sha.toLowerCase(java.util.Locale.ROOT)),
                                item.path("size").asLong(-1), v.getKey());
                    }
                }
            }
        }
        return Optional.ofNullable(best);
    }

    /** A server's paths are relative to it: an absolute URL or a climb out would fetch from elsewhere. */
    private static void checkRelative(String path) {
        if (path.contains("://") || path.startsWith("/") || List.of(path.split("/")).contains("..")) {
            throw new StoreException("image index names a path outside the server: " + path);
        }
    }

    private static JsonNode parse(byte[] json, String what) {
        try {
            return JSON.readTree(json);
        } catch (IOException e) {
            throw new StoreException(what + " is not valid JSON: " + Downloads.oneLine(e));
        }
    }
}
