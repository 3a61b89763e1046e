package runtime.core.source;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import runtime.api.source.ImageSource;
import runtime.api.source.SourceContext;
import runtime.core.store.StoreException;

/**
 * {@code alpine-release:VERSION[:ARCH]}: Alpine's minirootfs of a release branch ({@code 3.13}, or
 * {@code latest-stable}) from an Alpine mirror ({@code $STRATA_ALPINE_MIRROR}, default
 * dl-cdn.alpinelinux.org/alpine), as squish's {@code alpine = "3.13"} layer asks. The branch's
 * {@code latest-releases.yaml} names the newest minirootfs and its SHA-256, which is checked; the layer is
 * keyed by that checksum, so a release already pulled is not downloaded again.
 */
public final class AlpineSource implements ImageSource {
    static final String DEFAULT_MIRROR = "https://dl-cdn.alpinelinux.org/alpine";

    @Override
    public String scheme() {
        return "alpine-release";
    }

    @Override
    public String description() {
        return "Alpine's minirootfs from a mirror ($STRATA_ALPINE_MIRROR): alpine-release:VERSION[:ARCH], e.g. alpine-release:3.20";
    }

    @Override
    public String pull(String reference, SourceContext context) throws IOException {
        String[] parts = reference.split(":", -1);
        if (parts.length > 2 || !parts[0].matches("\\d+\\.\\d+|latest-stable|edge")
                || parts.length == 2 && !parts[1].matches("[a-z0-9_]+")) {
            throw new IllegalArgumentException("alpine-release:" + reference
                    + ": expected alpine-release:VERSION[:ARCH] with VERSION like 3.20 (or latest-stable)");
        }
        String arch = parts.length == 2 ? parts[1] : alpineArch(LxcIndex.hostArch());
        String branch = parts[0].matches("\\d.*") ? "v" + parts[0] : parts[0];
        String mirror = context.environment().getOrDefault("STRATA_ALPINE_MIRROR", "");
        if (mirror.isBlank()) mirror = DEFAULT_MIRROR;
        URI index = Downloads.resolve(mirror, branch + "/releases/" + arch + "/latest-releases.yaml");
        byte[] yaml = Downloads.getSmall(context, index)
                .orElseThrow(() -> new StoreException(index + ": not found (is " + parts[0] + " an Alpine release branch?)"));
        Map<String, String> release = minirootfs(new String(yaml, StandardCharsets.UTF_8)).orElseThrow(() ->
                new StoreException(index + ": names no alpine-minirootfs with a file and sha256"));
        String sha256 = release.get("sha256").toLowerCase(java.util.Locale.ROOT);
        String label = "alpine-release:" + reference;
        String instruction = TarImport.instruction(sha256);
        if (context.hasLayer(Optional.empty(), instruction)) {
            return context.importLayer(Optional.empty(), instruction, InputStream.nullInputStream());
        }
        URI file = Downloads.resolve(mirror, branch + "/releases/" + arch + "/" + release.get("file"));
        Path target = context.scratch().resolve("minirootfs.tar.gz");
        return TarImport.importFile(context, Downloads.fetchVerified(context, file, target, label, sha256, -1), label);
    }

    /** Alpine's name for a Debian architecture. */
    private static String alpineArch(String debian) {
        return switch (debian) {
            case "amd64" -> "x86_64";
            case "arm64" -> "aarch64";
            case "i386" -> "x86";
            case "ppc64el" -> "ppc64le";
            default -> debian;
        };
    }

    /**
     * The minirootfs entry of a latest-releases.yaml: a YAML list of flat maps ({@code - title: ...} then
     * {@code   key: value} lines), the only shape Alpine writes there, so a line reader suffices.
     */
    static Optional<Map<String, String>> minirootfs(String yaml) {
        List<Map<String, String>> entries = new ArrayList<>();
        for (String line : yaml.split("\n")) {
            String l = line.stripTrailing();
            if (l.startsWith("-")) {
                entries.add(new LinkedHashMap<>());
                l = l.substring(1);
            }
            int colon = l.indexOf(':');
            if (entries.isEmpty() || colon < 0 || l.isBlank()) continue;
            String value = l.substring(colon + 1).strip();
            if (value.length() >= 2 && (value.startsWith("\"") && value.endsWith("\"") || value.startsWith("'") && value.endsWith("'"))) {
                value = value.substring(1, value.length() - 1);
            }
            entries.getLast().put(l.substring(0, colon).strip(), value);
        }
        return entries.stream()
                .filter(e -> e.getOrDefault("flavor", "").matches("(alpine-)?minirootfs"))
                .filter(e -> e.getOrDefault("file", "").matches("[A-Za-z0-9._-]+") && e.getOrDefault("sha256", "").matches("[0-9a-fA-F]{64}"))
                .findFirst();
    }
}
