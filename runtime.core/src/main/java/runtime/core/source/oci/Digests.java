package runtime.core.source.oci;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.regex.Pattern;

/** Content digests ({@code sha256:HEX}, also sha512 when a registry uses it). */
public final class Digests {
    private static final Pattern DIGEST = Pattern.compile("sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128}");

    private Digests() {}

    /** {@code digest} if it is well formed; else a one-line error naming {@code what}. */
    public static String check(String digest, String what) {
        if (digest == null || !DIGEST.matcher(digest).matches()) {
            throw new OciException(what + ": bad digest '" + digest + "'");
        }
        return digest;
    }

    public static MessageDigest newDigest(String digest) {
        try {
            return MessageDigest.getInstance(digest.startsWith("sha512:") ? "SHA-512" : "SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    public static MessageDigest sha256() {
        return newDigest("sha256:");
    }

    public static String format(MessageDigest md) {
        String alg = md.getAlgorithm().equals("SHA-512") ? "sha512:" : "sha256:";
        return alg + HexFormat.of().formatHex(md.digest());
    }

    public static String sha256(byte[] data) {
        MessageDigest md = sha256();
        md.update(data);
        return format(md);
    }

    public static String ofFile(Path file, String algorithmOf) throws IOException {
        try (InputStream in = new DigestInputStream(Files.newInputStream(file), newDigest(algorithmOf))) {
            in.transferTo(OutputStream.nullOutputStream());
            return format(((DigestInputStream) in).getMessageDigest());
        }
    }

    /** The hex part of a digest (file names in OCI layouts). */
    public static String hex(String digest) {
        return digest.substring(digest.indexOf(':') + 1);
    }

    public static String algorithm(String digest) {
        return digest.substring(0, digest.indexOf(':'));
    }
}
