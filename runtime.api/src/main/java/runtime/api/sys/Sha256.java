package runtime.api.sys;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.lang.ref.Cleaner;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Optional;

/**
 * SHA-256 for hashing whole archives. The JDK's own digest is fast only once C2 has compiled its
 * intrinsic (SHA-NI or AVX2); strata's launcher runs the C1 compiler alone for start-up, where the
 * JDK's SHA-256 manages ~90 MB/s and would dominate a large import. OpenSSL's libcrypto (on every
 * Debian system) uses the CPU's SHA extensions at any JIT level, so it is used when it can be loaded;
 * otherwise the JDK's digest. Both give the same digest: the choice is only about speed.
 */
public final class Sha256 {
    private static final Cleaner CLEANER = Cleaner.create();
    private static final Optional<Functions> LIBCRYPTO = Functions.load();

    private Sha256() {}

    /** A fresh SHA-256 digest, libcrypto's when available. */
    public static MessageDigest newDigest() {
        if (LIBCRYPTO.isPresent()) return new NativeDigest(LIBCRYPTO.get());
        return jdkDigest();
    }

    /** Whether {@link #newDigest()} hashes with libcrypto. */
    public static boolean isNative() {
        return LIBCRYPTO.isPresent();
    }

    static MessageDigest jdkDigest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** libcrypto's EVP digest calls, linked once. */
    private record Functions(MemorySegment sha256, MethodHandle ctxNew, MethodHandle ctxFree, MethodHandle init,
            MethodHandle update, MethodHandle fin) {
        static Optional<Functions> load() {
            if (Boolean.getBoolean("strata.sha256.jdk")) return Optional.empty();
            for (String name : new String[] {"libcrypto.so.3", "libcrypto.so"}) {
                try {
                    SymbolLookup lib = SymbolLookup.libraryLookup(name, Arena.global());
                    Linker linker = LibC.LINKER;
                    MethodHandle evpSha256 = linker.downcallHandle(lib.find("EVP_sha256").orElseThrow(), FunctionDescriptor.of(ADDRESS));
                    MemorySegment md = (MemorySegment) evpSha256.invokeExact();
                    return Optional.of(new Functions(md,
                            linker.downcallHandle(lib.find("EVP_MD_CTX_new").orElseThrow(), FunctionDescriptor.of(ADDRESS)),
                            linker.downcallHandle(lib.find("EVP_MD_CTX_free").orElseThrow(), FunctionDescriptor.ofVoid(ADDRESS)),
                            linker.downcallHandle(lib.find("EVP_DigestInit_ex").orElseThrow(), FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS)),
                            // Critical with heap access: the array is hashed in place, no copy to native memory.
                            linker.downcallHandle(lib.find("EVP_DigestUpdate").orElseThrow(), FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_LONG),
                                    Linker.Option.critical(true)),
                            linker.downcallHandle(lib.find("EVP_DigestFinal_ex").orElseThrow(), FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS))));
                } catch (Throwable e) {
                    // Not installed, or an OpenSSL without these symbols: the JDK's digest will do.
                }
            }
            return Optional.empty();
        }
    }

    /** A MessageDigest over one EVP_MD_CTX, freed when the digest is collected. */
    private static final class NativeDigest extends MessageDigest {
        private final Functions f;
        private final MemorySegment ctx;
        private final byte[] single = new byte[1];

        NativeDigest(Functions f) {
            super("SHA-256");
            this.f = f;
            try {
                ctx = (MemorySegment) f.ctxNew().invokeExact();
            } catch (Throwable t) {
                throw LibC.rethrow(t);
            }
            if (ctx.equals(MemorySegment.NULL)) throw new OutOfMemoryError("EVP_MD_CTX_new");
            MemorySegment owned = ctx;
            MethodHandle free = f.ctxFree();
            CLEANER.register(this, () -> {
                try {
                    free.invokeExact(owned);
                } catch (Throwable ignored) {
                    // nothing to do while collecting
                }
            });
            engineReset();
        }

        @Override
        protected void engineUpdate(byte input) {
            single[0] = input;
            engineUpdate(single, 0, 1);
        }

        @Override
        protected void engineUpdate(byte[] input, int offset, int len) {
            java.util.Objects.checkFromIndexSize(offset, len, input.length);
            if (len == 0) return;
            try {
                check((int) f.update().invokeExact(ctx, MemorySegment.ofArray(input).asSlice(offset, len), (long) len), "EVP_DigestUpdate");
            } catch (Throwable t) {
                throw LibC.rethrow(t);
            }
        }

        @Override
        protected byte[] engineDigest() {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment out = arena.allocate(32);
                check((int) f.fin().invokeExact(ctx, out, MemorySegment.NULL), "EVP_DigestFinal_ex");
                byte[] result = out.toArray(java.lang.foreign.ValueLayout.JAVA_BYTE);
                engineReset();
                return result;
            } catch (Throwable t) {
                throw LibC.rethrow(t);
            }
        }

        @Override
        protected void engineReset() {
            try {
                check((int) f.init().invokeExact(ctx, f.sha256(), MemorySegment.NULL), "EVP_DigestInit_ex");
            } catch (Throwable t) {
                throw LibC.rethrow(t);
            }
        }

        @Override
        protected int engineGetDigestLength() {
            return 32;
        }

        private static void check(int rc, String call) {
            if (rc != 1) throw new IllegalStateException(call + " failed");
        }
    }
}
