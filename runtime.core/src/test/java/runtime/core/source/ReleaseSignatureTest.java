package runtime.core.source;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Date;

import org.bouncycastle.bcpg.ArmoredOutputStream;
import org.bouncycastle.bcpg.BCPGOutputStream;
import org.bouncycastle.bcpg.HashAlgorithmTags;
import org.bouncycastle.bcpg.PublicKeyAlgorithmTags;
import org.bouncycastle.crypto.generators.RSAKeyPairGenerator;
import org.bouncycastle.crypto.params.RSAKeyGenerationParameters;
import org.bouncycastle.openpgp.PGPKeyRingGenerator;
import org.bouncycastle.openpgp.PGPSignature;
import org.bouncycastle.openpgp.PGPSignatureGenerator;
import org.bouncycastle.openpgp.operator.bc.BcPGPContentSignerBuilder;
import org.bouncycastle.openpgp.operator.bc.BcPGPDigestCalculatorProvider;
import org.bouncycastle.openpgp.operator.bc.BcPGPKeyPair;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import runtime.core.store.StoreException;

/** Release signatures made here with a throwaway key, checked as a Debian archive's would be. */
class ReleaseSignatureTest {
    static BcPGPKeyPair key;
    static BcPGPKeyPair otherKey;
    static final byte[] RELEASE = "Origin: Test\nSHA256:\n aaaa 1 main/binary-amd64/Packages\n- dash line  \n"
            .getBytes(StandardCharsets.UTF_8);

    @TempDir
    Path dir;

    @BeforeAll
    static void keys() throws Exception {
        key = newKey();
        otherKey = newKey();
    }

    static BcPGPKeyPair newKey() throws Exception {
        RSAKeyPairGenerator g = new RSAKeyPairGenerator();
        g.init(new RSAKeyGenerationParameters(BigInteger.valueOf(0x10001), new SecureRandom(), 2048, 80));
        return new BcPGPKeyPair(PublicKeyAlgorithmTags.RSA_GENERAL, g.generateKeyPair(), new Date());
    }

    static Path keyring(Path dir, BcPGPKeyPair pair) throws Exception {
        PGPKeyRingGenerator gen = new PGPKeyRingGenerator(PGPSignature.POSITIVE_CERTIFICATION, pair, "strata test",
                new BcPGPDigestCalculatorProvider().get(HashAlgorithmTags.SHA1), null, null,
                new BcPGPContentSignerBuilder(PublicKeyAlgorithmTags.RSA_GENERAL, HashAlgorithmTags.SHA256), null);
        Path file = dir.resolve("keyring-" + pair.getKeyID() + ".gpg");
        Files.write(file, gen.generatePublicKeyRing().getEncoded());
        return file;
    }

    static byte[] detached(BcPGPKeyPair pair, byte[] data) throws Exception {
        PGPSignatureGenerator sg = new PGPSignatureGenerator(
                new BcPGPContentSignerBuilder(PublicKeyAlgorithmTags.RSA_GENERAL, HashAlgorithmTags.SHA256));
        sg.init(PGPSignature.BINARY_DOCUMENT, pair.getPrivateKey());
        sg.update(data);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (ArmoredOutputStream armored = new ArmoredOutputStream(out)) {
            sg.generate().encode(armored);
        }
        return out.toByteArray();
    }

    /** A clear-signed message as gpg --clearsign writes it (dash-escaping, CRLF canonical text). */
    static byte[] clearSigned(BcPGPKeyPair pair, byte[] data) throws Exception {
        String text = new String(data, StandardCharsets.UTF_8);
        String body = text.endsWith("\n") ? text.substring(0, text.length() - 1) : text;
        String[] lines = body.split("\n", -1);
        StringBuilder canonical = new StringBuilder();
        StringBuilder escaped = new StringBuilder();
        for (int i = 0; i < lines.length; i++) {
            if (i > 0) canonical.append("\r\n");
            canonical.append(lines[i].replaceAll("[ \t]+$", ""));
            escaped.append(lines[i].startsWith("-") ? "- " + lines[i] : lines[i]).append('\n');
        }
        PGPSignatureGenerator sg = new PGPSignatureGenerator(
                new BcPGPContentSignerBuilder(PublicKeyAlgorithmTags.RSA_GENERAL, HashAlgorithmTags.SHA256));
        sg.init(PGPSignature.CANONICAL_TEXT_DOCUMENT, pair.getPrivateKey());
        sg.update(canonical.toString().getBytes(StandardCharsets.UTF_8));
        ByteArrayOutputStream sig = new ByteArrayOutputStream();
        try (ArmoredOutputStream armored = new ArmoredOutputStream(sig); BCPGOutputStream b = new BCPGOutputStream(armored)) {
            sg.generate().encode(b);
        }
        String message = "-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\n" + escaped
                + new String(sig.toByteArray(), StandardCharsets.UTF_8);
        return message.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void detachedSignatureByAKeyInTheKeyringIsAccepted() throws Exception {
        ReleaseSignature.verifyDetached(RELEASE, detached(key, RELEASE), keyring(dir, key));
    }

    @Test
    void tamperedReleaseOrUnknownKeyIsRefused() throws Exception {
        Path ring = keyring(dir, key);
        byte[] tampered = RELEASE.clone();
        tampered[0] = 'X';
        StoreException bad = assertThrows(StoreException.class,
                () -> ReleaseSignature.verifyDetached(tampered, detached(key, RELEASE), ring));
        assertTrue(bad.getMessage().startsWith("the archive's Release file has no valid signature"), bad.getMessage());
        StoreException unknown = assertThrows(StoreException.class,
                () -> ReleaseSignature.verifyDetached(RELEASE, detached(otherKey, RELEASE), ring));
        assertTrue(unknown.getMessage().contains("unknown key"), unknown.getMessage());
    }

    @Test
    void clearSignedInReleaseIsVerifiedAndItsTextReturned() throws Exception {
        Path ring = keyring(dir, key);
        byte[] inRelease = clearSigned(key, RELEASE);
        assertArrayEquals(new String(RELEASE, StandardCharsets.UTF_8).replace("  \n", "  \n").getBytes(StandardCharsets.UTF_8),
                ReleaseSignature.verifyClearSigned(inRelease, ring));
        String forged = new String(inRelease, StandardCharsets.UTF_8).replace("aaaa 1", "bbbb 1");
        assertThrows(StoreException.class,
                () -> ReleaseSignature.verifyClearSigned(forged.getBytes(StandardCharsets.UTF_8), ring));
        assertThrows(StoreException.class,
                () -> ReleaseSignature.verifyClearSigned(RELEASE, ring));
    }

    @Test
    void realDebianKeyringParses() throws Exception {
        Path debian = Path.of("/usr/share/keyrings/debian-archive-keyring.gpg");
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isRegularFile(debian), "no Debian keyring here");
        // Signed by a key not in it: the keyring reads, and the error names the unknown key.
        StoreException e = assertThrows(StoreException.class,
                () -> ReleaseSignature.verifyDetached(RELEASE, detached(key, RELEASE), debian));
        assertTrue(e.getMessage().contains("unknown key"), e.getMessage());
    }
}
