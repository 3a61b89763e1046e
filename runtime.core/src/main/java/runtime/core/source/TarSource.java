package runtime.core.source;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Optional;

import runtime.api.source.ImageSource;
import runtime.api.source.SourceContext;

/**
 * {@code tar:PATH}: a root filesystem archive on disk (gzip, xz, zstd, bzip2 or plain), keyed by the
 * SHA-256 of its bytes, so the same archive is one image however often it is named.
 */
public final class TarSource implements ImageSource {
    @Override
    public String scheme() {
        return "tar";
    }

    @Override
    public String description() {
        return "a root filesystem tar file (gz, xz, zstd, bz2 or plain): tar:PATH";
    }

    @Override
    public String pull(String reference, SourceContext context) throws IOException {
        Path file = context.workingDirectory().resolve(reference);
        if (!Files.isRegularFile(file)) throw new IllegalArgumentException("tar:" + reference + ": no such file");
        String digest = sha256(file);
        String instruction = "import-tar sha256:" + digest;
        try (InputStream in = Files.newInputStream(file)) {
            return context.importLayer(Optional.empty(), instruction, in);
        }
    }

    static String sha256(Path file) throws IOException {
        try (InputStream in = new DigestInputStream(Files.newInputStream(file), MessageDigest.getInstance("SHA-256"))) {
            in.transferTo(java.io.OutputStream.nullOutputStream());
            return HexFormat.of().formatHex(((DigestInputStream) in).getMessageDigest().digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
