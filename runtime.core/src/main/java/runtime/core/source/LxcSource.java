package runtime.core.source;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

import runtime.api.source.ImageSource;
import runtime.api.source.SourceContext;
import runtime.core.store.StoreException;

/**
 * {@code lxc:DISTRO:RELEASE[:ARCH[:VARIANT]]}: a root filesystem from an LXC image server
 * ({@code $STRATA_LXC_SERVER}, default images.linuxcontainers.org), found through simplestreams when the
 * server has it (the file's SHA-256 is checked) or else the index-user list plash used.
 *
 * <p>The layer is keyed by the archive's SHA-256 (as {@code tar:} keys it), and the item's path is
 * remembered: a build already pulled is not downloaded again.
 */
public final class LxcSource implements ImageSource {
    static final String DEFAULT_SERVER = "https://images.linuxcontainers.org";

    @Override
    public String scheme() {
        return "lxc";
    }

    @Override
    public String description() {
        return "an LXC image server ($STRATA_LXC_SERVER): lxc:DISTRO:RELEASE[:ARCH[:VARIANT]], e.g. lxc:alpine:3.20";
    }

    @Override
    public String pull(String reference, SourceContext context) throws IOException {
        LxcIndex.Wanted wanted = LxcIndex.Wanted.parse(reference, LxcIndex.hostArch());
        String server = context.environment().getOrDefault("STRATA_LXC_SERVER", "");
        if (server.isBlank()) server = DEFAULT_SERVER;
        LxcIndex.Item item = find(server, wanted, context);
        URI uri = Downloads.resolve(server, item.path());
        String key = "lxc " + uri + (item.sha256().map(s -> " sha256:" + s).orElse(""));
        Optional<String> known = context.recall(key);
        if (known.isPresent()) return known.get();
        if (item.sha256().isPresent()) {
            String instruction = TarImport.instruction(item.sha256().get());
            if (context.hasLayer(Optional.empty(), instruction)) {
                String id = context.importLayer(Optional.empty(), instruction, InputStream.nullInputStream());
                context.remember(key, id);
                return id;
            }
        }
        Path file = context.scratch().resolve("rootfs.tar.xz");
        Downloads.Fetched fetched = item.sha256().isPresent()
                ? Downloads.fetchVerified(context, uri, file, "lxc:" + wanted, item.sha256().get(), item.size())
                : Downloads.fetch(context, uri, file, "lxc:" + wanted);
        String id = TarImport.importFile(context, fetched, "lxc:" + reference);
        context.remember(key, id);
        return id;
    }

    /** Simplestreams first (it has checksums), index-user when the server has no simplestreams index. */
    private static LxcIndex.Item find(String server, LxcIndex.Wanted wanted, SourceContext context) throws IOException {
        Optional<byte[]> index = Downloads.getSmall(context, Downloads.resolve(server, "streams/v1/index.json"));
        if (index.isPresent()) {
            String productsPath = LxcIndex.productsPath(index.get());
            byte[] products = Downloads.getSmall(context, Downloads.resolve(server, productsPath))
                    .orElseThrow(() -> new StoreException(server + ": " + productsPath + " not found (HTTP 404)"));
            return LxcIndex.fromProducts(products, wanted)
                    .orElseThrow(() -> new StoreException("lxc:" + wanted + ": no such image on " + server));
        }
        Optional<byte[]> list = Downloads.getSmall(context, Downloads.resolve(server, "meta/1.0/index-user"));
        if (list.isEmpty()) {
            throw new StoreException(server + " is not an LXC image server (no streams/v1/index.json or meta/1.0/index-user)");
        }
        return LxcIndex.fromIndexUser(new String(list.get(), StandardCharsets.UTF_8), wanted)
                .orElseThrow(() -> new StoreException("lxc:" + wanted + ": no such image on " + server));
    }

    /** Deletes the scratch copy early: a root filesystem can be large and the pull may go on. */
    static void deleteQuietly(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException ignored) {
            // the scratch directory is removed after the pull anyway
        }
    }
}
