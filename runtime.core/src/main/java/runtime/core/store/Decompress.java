package runtime.core.store;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.zip.GZIPInputStream;

import org.apache.commons.compress.compressors.bzip2.BZip2CompressorInputStream;
import org.tukaani.xz.XZInputStream;

import io.airlift.compress.zstd.ZstdInputStream;

/** Opens a possibly compressed stream, recognising gzip, xz, zstd and bzip2 by their magic bytes. */
public final class Decompress {
    private Decompress() {}

    public static InputStream open(InputStream raw) throws IOException {
        BufferedInputStream in = raw instanceof BufferedInputStream b ? b : new BufferedInputStream(raw, 1 << 16);
        in.mark(8);
        byte[] magic = in.readNBytes(6);
        in.reset();
        if (starts(magic, 0x1f, 0x8b)) return new GZIPInputStream(in, 1 << 16);
        if (starts(magic, 0xfd, '7', 'z', 'X', 'Z', 0x00)) {
            // liblzma when present: several times faster than the Java decoder (see XzInputStream).
            java.util.Optional<InputStream> xz = runtime.api.sys.XzInputStream.open(in);
            return xz.isPresent() ? xz.get() : new XZInputStream(in);
        }
        if (starts(magic, 0x28, 0xb5, 0x2f, 0xfd)) return new ZstdInputStream(in);
        if (starts(magic, 'B', 'Z', 'h')) return new BZip2CompressorInputStream(in, true);
        return in;
    }

    private static boolean starts(byte[] data, int... prefix) {
        if (data.length < prefix.length) return false;
        for (int i = 0; i < prefix.length; i++) {
            if ((data[i] & 0xff) != prefix[i]) return false;
        }
        return true;
    }
}
