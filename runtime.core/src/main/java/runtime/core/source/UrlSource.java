package runtime.core.source;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Optional;

import runtime.api.source.ImageSource;
import runtime.api.source.SourceContext;

/**
 * {@code url:https://HOST/PATH[#sha256=HEX]}: a root filesystem tar (gz, xz, zstd, bz2 or plain, told
 * apart by content) from a URL. With a digest the archive is checked and, when its layer exists, not
 * fetched at all; without one, the server's ETag/Last-Modified name the download, so an unchanged file
 * is not fetched twice (and the layer is keyed by content either way).
 */
public final class UrlSource implements ImageSource {
    @Override
    public String scheme() {
        return "url";
    }

    @Override
    public String description() {
        return "a root filesystem tar at a URL: url:https://HOST/PATH[#sha256=HEX]";
    }

    @Override
    public String pull(String reference, SourceContext context) throws IOException {
        Optional<String> expected = Optional.empty();
        String url = reference;
        int hash = reference.indexOf('#');
        if (hash >= 0) {
            String fragment = reference.substring(hash + 1);
            url = reference.substring(0, hash);
            if (!fragment.matches("sha256=[0-9a-fA-F]{64}")) {
                throw new IllegalArgumentException("url:" + reference + ": the suffix must be #sha256=<64 hex digits>");
            }
            expected = Optional.of(fragment.substring(7).toLowerCase(Locale.ROOT));
        }
        URI uri;
        try {
            uri = URI.create(url);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("url:" + reference + ": not a URL (" + e.getMessage() + ")");
        }
        if (!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme()) || uri.getHost() == null) {
            throw new IllegalArgumentException("url:" + reference + ": only http:// and https:// URLs");
        }
        if (expected.isPresent()) {
            String instruction = TarImport.instruction(expected.get());
            if (context.hasLayer(Optional.empty(), instruction)) {
                return context.importLayer(Optional.empty(), instruction, InputStream.nullInputStream());
            }
        } else {
            Optional<String> validators = Downloads.validators(context, uri);
            if (validators.isPresent()) {
                String key = "url " + uri + " " + validators.get();
                Optional<String> known = context.recall(key);
                if (known.isPresent()) return known.get();
                String id = download(uri, expected, context);
                context.remember(key, id);
                return id;
            }
        }
        return download(uri, expected, context);
    }

    private static String download(URI uri, Optional<String> expected, SourceContext context) throws IOException {
        Path file = context.scratch().resolve("download.tar");
        Downloads.Fetched fetched = expected.isPresent()
                ? Downloads.fetchVerified(context, uri, file, uri.toString(), expected.get(), -1)
                : Downloads.fetch(context, uri, file, uri.toString());
        return TarImport.importFile(context, fetched, uri.toString());
    }
}
