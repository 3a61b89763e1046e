package runtime.core.source;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Optional;

import runtime.api.source.SourceContext;
import runtime.core.store.StoreException;

/**
 * HTTP for the image sources: every failure becomes one line naming the URL, and every download is
 * hashed while it is written, so a checksum is checked without reading the file twice.
 */
final class Downloads {
    private Downloads() {}

    /** What a download wrote: its SHA-256, size and the server's validators (for caching by URL). */
    record Fetched(Path file, String sha256, long size, Optional<String> etag, Optional<String> lastModified) {}

    /** GETs {@code uri} into {@code target}; a non-200 status or a network error is a one-line error. */
    static Fetched fetch(SourceContext context, URI uri, Path target, String label) throws IOException {
        return fetch(context, uri, target, label, -1);
    }

    /** As above, stopping (and deleting the file) once more than {@code maxBytes} arrived, when that is known. */
    private static Fetched fetch(SourceContext context, URI uri, Path target, String label, long maxBytes) throws IOException {
        HttpResponse<InputStream> response = send(context, uri, "GET");
        long length = response.headers().firstValueAsLong("content-length").orElse(-1);
        MessageDigest digest = sha256();
        long size = 0;
        try (InputStream in = response.body();
             OutputStream out = Files.newOutputStream(target);
             SourceContext.Progress progress = context.progress(label, length)) {
            byte[] buffer = new byte[1 << 16];
            int n;
            while ((n = in.read(buffer)) > 0) {
                out.write(buffer, 0, n);
                digest.update(buffer, 0, n);
                size += n;
                progress.advance(n);
                if (maxBytes >= 0 && size > maxBytes) {
                    throw new StoreException(uri + ": more than the " + maxBytes + " bytes expected (refused)");
                }
            }
        } catch (StoreException e) {
            Files.deleteIfExists(target);
            throw e;
        } catch (IOException e) {
            Files.deleteIfExists(target);
            throw new StoreException(uri + ": download failed: " + oneLine(e), e);
        }
        if (length >= 0 && size != length) {
            Files.deleteIfExists(target);
            throw new StoreException(uri + ": download truncated (" + size + " of " + length + " bytes)");
        }
        return new Fetched(target, HexFormat.of().formatHex(digest.digest()), size,
                response.headers().firstValue("etag"), response.headers().firstValue("last-modified"));
    }

    /** Like {@link #fetch} but also checks the expected SHA-256 (and size, if known); a mismatch deletes the file. */
    static Fetched fetchVerified(SourceContext context, URI uri, Path target, String label, String sha256, long size)
            throws IOException {
        Fetched f = fetch(context, uri, target, label, size);
        if (!f.sha256().equalsIgnoreCase(sha256) || (size >= 0 && f.size() != size)) {
            Files.deleteIfExists(target);
            throw new StoreException(uri + ": checksum mismatch (expected sha256 " + sha256
                    + (size >= 0 ? ", " + size + " bytes" : "") + ", got " + f.sha256() + ", " + f.size() + " bytes)");
        }
        return f;
    }

    /** The most bytes {@link #getSmall} takes: indexes and Release files are kilobytes to a few megabytes. */
    static final int MAX_SMALL = 64 << 20;

    /** The body of a small document (an index); empty on 404 so callers can try another format. */
    static Optional<byte[]> getSmall(SourceContext context, URI uri) throws IOException {
        HttpResponse<InputStream> response = sendAllowing404(context, uri, "GET");
        try (InputStream in = response.body()) {
            if (response.statusCode() == 404) return Optional.empty();
            // Read before anything vouches for it (a Release, an index): a server must not fill the memory.
            byte[] body = in.readNBytes(MAX_SMALL + 1);
            if (body.length > MAX_SMALL) throw new StoreException(uri + ": larger than " + MAX_SMALL + " bytes (refused)");
            return Optional.of(body);
        } catch (IOException e) {
            throw new StoreException(uri + ": download failed: " + oneLine(e), e);
        }
    }

    /** The server's validators for {@code uri} from a HEAD request (empty when it gives none). */
    static Optional<String> validators(SourceContext context, URI uri) throws IOException {
        HttpResponse<InputStream> response;
        try {
            response = send(context, uri, "HEAD");
        } catch (StoreException e) {
            // Some servers refuse HEAD: then the GET that follows says what is wrong, or just downloads.
            return Optional.empty();
        }
        response.body().close();
        Optional<String> etag = response.headers().firstValue("etag");
        Optional<String> modified = response.headers().firstValue("last-modified");
        if (etag.isEmpty() && modified.isEmpty()) return Optional.empty();
        return Optional.of("etag=" + etag.orElse("") + " last-modified=" + modified.orElse(""));
    }

    private static HttpResponse<InputStream> send(SourceContext context, URI uri, String method) throws IOException {
        HttpResponse<InputStream> response = sendAllowing404(context, uri, method);
        if (response.statusCode() != 200) {
            response.body().close();
            throw new StoreException(uri + ": HTTP " + response.statusCode());
        }
        return response;
    }

    private static HttpResponse<InputStream> sendAllowing404(SourceContext context, URI uri, String method)
            throws IOException {
        HttpRequest request = HttpRequest.newBuilder(uri).method(method, HttpRequest.BodyPublishers.noBody())
                .timeout(Duration.ofMinutes(2)).header("User-Agent", "strata").build();
        HttpResponse<InputStream> response;
        try {
            response = context.http().send(request, HttpResponse.BodyHandlers.ofInputStream());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StoreException(uri + ": interrupted", e);
        } catch (IOException e) {
            throw new StoreException(uri + ": " + oneLine(e), e);
        }
        int code = response.statusCode();
        if (code != 200 && code != 404) {
            response.body().close();
            throw new StoreException(uri + ": HTTP " + code);
        }
        return response;
    }

    static URI resolve(String base, String path) {
        String b = base.endsWith("/") ? base : base + "/";
        try {
            return URI.create(b).resolve(path.startsWith("/") ? path.substring(1) : path);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("bad URL " + b + path + ": " + e.getMessage());
        }
    }

    static String oneLine(Throwable e) {
        return runtime.core.Errors.oneLine(e);
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static String sha256(byte[] bytes) {
        return HexFormat.of().formatHex(sha256().digest(bytes));
    }
}
