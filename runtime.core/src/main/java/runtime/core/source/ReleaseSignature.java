package runtime.core.source;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.bouncycastle.bcpg.ArmoredInputStream;
import org.bouncycastle.openpgp.PGPException;
import org.bouncycastle.openpgp.PGPPublicKey;
import org.bouncycastle.openpgp.PGPSignature;
import org.bouncycastle.openpgp.PGPSignatureList;
import org.bouncycastle.openpgp.PGPUtil;
import org.bouncycastle.openpgp.bc.BcPGPObjectFactory;
import org.bouncycastle.openpgp.bc.BcPGPPublicKeyRingCollection;
import org.bouncycastle.openpgp.operator.bc.BcPGPContentVerifierBuilderProvider;

import runtime.core.store.StoreException;

/**
 * OpenPGP checks of a Debian archive's Release file against a keyring (Bouncy Castle's lightweight API,
 * no JCE provider): a detached Release.gpg, or the clear-signed InRelease. One good signature by a key
 * in the keyring is enough, as apt requires; the SHA-256 chain from there on covers everything else.
 */
final class ReleaseSignature {
    private ReleaseSignature() {}

    /** Checks a detached signature over the Release file's exact bytes. */
    static void verifyDetached(byte[] release, byte[] signature, Path keyring) throws IOException {
        verify(release, signatures(PGPUtil.getDecoderStream(new ByteArrayInputStream(signature))), keyring);
    }

    /**
     * Checks a clear-signed InRelease and returns the Release text it carries. The signed data is the
     * text's lines with dash-escapes removed, trailing blanks stripped and CRLF between them (RFC 4880 7.1).
     */
    static byte[] verifyClearSigned(byte[] inRelease, Path keyring) throws IOException {
        String text = new String(inRelease, StandardCharsets.UTF_8).replace("\r\n", "\n");
        List<String> lines = List.of(text.split("\n", -1));
        int i = 0;
        while (i < lines.size() && !lines.get(i).equals("-----BEGIN PGP SIGNED MESSAGE-----")) i++;
        if (i == lines.size()) throw new StoreException("InRelease is not clear-signed");
        i++;
        while (i < lines.size() && !lines.get(i).isEmpty()) i++; // armor headers (Hash: ...)
        i++;
        List<String> body = new ArrayList<>();
        while (i < lines.size() && !lines.get(i).equals("-----BEGIN PGP SIGNATURE-----")) {
            String l = lines.get(i++);
            body.add(l.startsWith("- ") ? l.substring(2) : l);
        }
        if (i == lines.size()) throw new StoreException("InRelease has no signature block");
        String armored = String.join("\n", lines.subList(i, lines.size()));
        StringBuilder signed = new StringBuilder();
        for (int k = 0; k < body.size(); k++) {
            if (k > 0) signed.append("\r\n");
            signed.append(body.get(k).replaceAll("[ \t]+$", ""));
        }
        PGPSignatureList list;
        try (InputStream in = new ArmoredInputStream(new ByteArrayInputStream(armored.getBytes(StandardCharsets.UTF_8)))) {
            list = signatures(in);
        }
        verify(signed.toString().getBytes(StandardCharsets.UTF_8), list, keyring);
        return (String.join("\n", body) + "\n").getBytes(StandardCharsets.UTF_8);
    }

    private static PGPSignatureList signatures(InputStream in) throws IOException {
        Object o = new BcPGPObjectFactory(in).nextObject();
        if (o instanceof PGPSignatureList list) return list;
        throw new StoreException("the Release signature is not an OpenPGP signature");
    }

    private static void verify(byte[] data, PGPSignatureList list, Path keyring) throws IOException {
        BcPGPPublicKeyRingCollection keys;
        try (InputStream in = PGPUtil.getDecoderStream(Files.newInputStream(keyring))) {
            keys = new BcPGPPublicKeyRingCollection(in);
        } catch (PGPException e) {
            throw new StoreException("cannot read keyring " + keyring + ": " + e.getMessage(), e);
        }
        List<String> unknown = new ArrayList<>();
        for (PGPSignature sig : list) {
            try {
                PGPPublicKey key = keys.getPublicKey(sig.getKeyID());
                if (key == null) {
                    unknown.add(String.format("%016X", sig.getKeyID()));
                    continue;
                }
                sig.init(new BcPGPContentVerifierBuilderProvider(), key);
                sig.update(data);
                if (sig.verify()) return;
            } catch (PGPException e) {
                // try the next signature: an archive may be signed with keys of several algorithms
            }
        }
        throw new StoreException("the archive's Release file has no valid signature by a key in " + keyring
                + (unknown.isEmpty() ? "" : " (signed by unknown key(s) " + String.join(", ", unknown) + ")"));
    }
}
