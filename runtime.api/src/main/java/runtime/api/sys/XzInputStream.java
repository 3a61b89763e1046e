package runtime.api.sys;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.Optional;

/**
 * Decompresses .xz (concatenated streams, as {@code xz -d} does) with liblzma through FFM. Java's xz
 * decoder runs at a fraction of liblzma's speed, worst under the launcher's C1-only JIT, and a large
 * tar.xz import is all decoding. liblzma is on every Debian system (xz-utils, systemd and apt need it);
 * {@link #open} is empty without it, and the caller falls back to a Java decoder.
 */
public final class XzInputStream extends InputStream {
    private static final Optional<Functions> LIBLZMA = Functions.load();
    private static final int BUFFER = 1 << 16;
    // struct lzma_stream (liblzma 5, LP64): next_in, avail_in, total_in, next_out, avail_out, total_out,
    // allocator, internal, 4 reserved pointers, 2 uint64, 2 size_t, 2 enums: 136 bytes, all zero to start.
    private static final long STREAM_SIZE = 136;
    private static final long NEXT_IN = 0;
    private static final long AVAIL_IN = 8;
    private static final long NEXT_OUT = 24;
    private static final long AVAIL_OUT = 32;
    private static final int LZMA_OK = 0;
    private static final int LZMA_STREAM_END = 1;
    private static final int LZMA_BUF_ERROR = 10;
    private static final int LZMA_RUN = 0;
    private static final int LZMA_FINISH = 3;
    private static final int LZMA_CONCATENATED = 0x08;

    private final Functions f;
    private final InputStream in;
    private static final java.lang.ref.Cleaner CLEANER = java.lang.ref.Cleaner.create();
    // Freed by the GC; liblzma's own state by lzma_end, on close or (for a stream a caller forgot to
    // close, e.g. one a library wraps) when this object is collected.
    private final Arena arena = Arena.ofAuto();
    private final java.lang.ref.Cleaner.Cleanable cleanable;
    private final MemorySegment stream;
    private final MemorySegment input;
    private final MemorySegment output;
    private final byte[] transfer = new byte[BUFFER];
    private final byte[] single = new byte[1];
    private long outputStart;
    private long outputEnd;
    private boolean inputDone;
    private boolean finished;
    private boolean closed;

    private XzInputStream(Functions f, InputStream in) throws IOException {
        this.f = f;
        this.in = in;
        stream = arena.allocate(STREAM_SIZE, 8);
        input = arena.allocate(BUFFER);
        output = arena.allocate(BUFFER);
        int rc;
        try {
            rc = (int) f.decoder().invokeExact(stream, -1L, LZMA_CONCATENATED);
        } catch (Throwable t) {
            throw LibC.rethrow(t);
        }
        MemorySegment state = stream;
        MethodHandle end = f.end();
        cleanable = CLEANER.register(this, () -> {
            try {
                end.invokeExact(state);
            } catch (Throwable ignored) {
                // nothing to report from a cleaner
            }
        });
        if (rc != LZMA_OK) {
            cleanable.clean();
            throw new IOException("xz: cannot start the decoder (" + describe(rc) + ")");
        }
    }

    /** A decoding stream over {@code in}, or empty when liblzma cannot be loaded. */
    public static Optional<InputStream> open(InputStream in) throws IOException {
        if (LIBLZMA.isEmpty()) return Optional.empty();
        return Optional.of(new XzInputStream(LIBLZMA.get(), in));
    }

    /** Whether liblzma was found. */
    public static boolean isAvailable() {
        return LIBLZMA.isPresent();
    }

    @Override
    public int read() throws IOException {
        return read(single, 0, 1) < 0 ? -1 : single[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        java.util.Objects.checkFromIndexSize(off, len, b.length);
        if (closed) throw new IOException("xz: stream closed");
        if (len == 0) return 0;
        while (outputStart == outputEnd) {
            if (finished) return -1;
            decode();
        }
        int n = (int) Math.min(len, outputEnd - outputStart);
        MemorySegment.copy(output, ValueLayout.JAVA_BYTE, outputStart, b, off, n);
        outputStart += n;
        return n;
    }

    /** One lzma_code call: refills the input when it is used up, and decodes into the empty output buffer. */
    private void decode() throws IOException {
        if (stream.get(JAVA_LONG, AVAIL_IN) == 0 && !inputDone) {
            int n = in.read(transfer, 0, BUFFER);
            if (n < 0) {
                inputDone = true;
            } else {
                MemorySegment.copy(transfer, 0, input, ValueLayout.JAVA_BYTE, 0, n);
                stream.set(ADDRESS, NEXT_IN, input);
                stream.set(JAVA_LONG, AVAIL_IN, n);
            }
        }
        stream.set(ADDRESS, NEXT_OUT, output);
        stream.set(JAVA_LONG, AVAIL_OUT, BUFFER);
        int rc;
        try {
            rc = (int) f.code().invokeExact(stream, inputDone ? LZMA_FINISH : LZMA_RUN);
        } catch (Throwable t) {
            throw LibC.rethrow(t);
        }
        outputStart = 0;
        outputEnd = BUFFER - stream.get(JAVA_LONG, AVAIL_OUT);
        if (rc == LZMA_STREAM_END) {
            finished = true;
        } else if (rc == LZMA_BUF_ERROR) {
            // liblzma's answer to a second call without progress: the input ended inside the stream. An
            // EOFException, as the JDK's and tukaani's decoders throw, so callers can say "truncated".
            throw new java.io.EOFException("xz: " + describe(rc));
        } else if (rc != LZMA_OK) {
            throw new IOException("xz: " + describe(rc));
        }
    }

    private static String describe(int rc) {
        return switch (rc) {
            case 5 -> "out of memory";
            case 6 -> "memory limit reached";
            case 7 -> "not in the .xz format";
            case 8 -> "unsupported options";
            case 9 -> "the compressed data is corrupt";
            case 10 -> "the compressed data ends too early";
            default -> "liblzma error " + rc;
        };
    }

    @Override
    public void close() throws IOException {
        if (closed) return;
        closed = true;
        cleanable.clean();
        in.close();
    }

    private record Functions(MethodHandle decoder, MethodHandle code, MethodHandle end) {
        static Optional<Functions> load() {
            if (Boolean.getBoolean("strata.xz.java")) return Optional.empty();
            for (String name : new String[] {"liblzma.so.5", "liblzma.so"}) {
                try {
                    SymbolLookup lib = SymbolLookup.libraryLookup(name, Arena.global());
                    return Optional.of(new Functions(
                            LibC.LINKER.downcallHandle(lib.find("lzma_stream_decoder").orElseThrow(),
                                    FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT)),
                            LibC.LINKER.downcallHandle(lib.find("lzma_code").orElseThrow(), FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT)),
                            LibC.LINKER.downcallHandle(lib.find("lzma_end").orElseThrow(), FunctionDescriptor.ofVoid(ADDRESS))));
                } catch (RuntimeException e) {
                    // not installed under this name
                }
            }
            return Optional.empty();
        }
    }
}
