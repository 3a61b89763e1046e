package runtime.api.sys;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.security.MessageDigest;
import java.util.Random;

import org.junit.jupiter.api.Test;

class Sha256Test {
    @Test
    void libcryptoIsUsedOnDebian() {
        // libssl3 is part of every Debian system strata supports (scripts/test-setup installs it).
        assertTrue(Sha256.isNative());
    }

    @Test
    void givesTheJdkDigestWhateverTheChunking() {
        byte[] data = new byte[1 << 20];
        new Random(42).nextBytes(data);
        for (int chunk : new int[] {1, 63, 64, 4096, 1 << 16, data.length}) {
            MessageDigest ours = Sha256.newDigest();
            MessageDigest jdk = Sha256.jdkDigest();
            for (int off = 0; off < data.length; off += chunk) {
                int n = Math.min(chunk, data.length - off);
                ours.update(data, off, n);
                jdk.update(data, off, n);
            }
            assertArrayEquals(jdk.digest(), ours.digest(), "chunk " + chunk);
        }
        MessageDigest reused = Sha256.newDigest();
        reused.update(data, 0, 100);
        reused.digest();
        reused.update((byte) 7);
        assertArrayEquals(Sha256.jdkDigest().digest(new byte[] {7}), reused.digest(), "a digest starts afresh after digest()");
    }
}
