package org.fleece.block.bitmap;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Optional;

/**
 * SHA-256 for the bitmap hash. The system's libcrypto runs its SHA extension
 * code from the first byte; the JDK's digest is as fast only once the JIT has
 * compiled it (a daemon hashes rarely, so mostly it has not, and a C1-only VM
 * never uses the intrinsic at all). Where libcrypto cannot be loaded, the JDK's
 * digest does the work.
 */
abstract sealed class Sha256 permits Sha256.Native, Sha256.Jdk {
    /** Hashes bytes [0, length) of the window. */
    abstract void update(MemorySegment window, long length);

    abstract byte[] digest();

    static Sha256 create() {
        return Native.AVAILABLE ? new Native() : new Jdk();
    }

    /** OpenSSL's EVP interface through the foreign function API. */
    static final class Native extends Sha256 {
        private static final Linker LINKER = Linker.nativeLinker();
        private static final Optional<SymbolLookup> CRYPTO = load();
        static final boolean AVAILABLE = CRYPTO.isPresent() && CRYPTO.get().find("EVP_DigestUpdate").isPresent();
        private static final MethodHandle CTX_NEW = function("EVP_MD_CTX_new", FunctionDescriptor.of(ValueLayout.ADDRESS));
        private static final MethodHandle CTX_FREE = function("EVP_MD_CTX_free",
                FunctionDescriptor.ofVoid(ValueLayout.ADDRESS));
        private static final MethodHandle SHA256 = function("EVP_sha256", FunctionDescriptor.of(ValueLayout.ADDRESS));
        private static final MethodHandle INIT = function("EVP_DigestInit_ex", FunctionDescriptor.of(ValueLayout.JAVA_INT,
                ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.ADDRESS));
        private static final MethodHandle UPDATE = function("EVP_DigestUpdate", FunctionDescriptor.of(
                ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG));
        private static final MethodHandle FINAL = function("EVP_DigestFinal_ex", FunctionDescriptor.of(
                ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.ADDRESS));

        private final MemorySegment context;

        private Native() {
            try {
                context = (MemorySegment) CTX_NEW.invokeExact();
                int ok = (int) INIT.invokeExact(context, (MemorySegment) SHA256.invokeExact(), MemorySegment.NULL);
                check(ok);
            } catch (Throwable t) {
                throw new IllegalStateException("libcrypto's SHA-256 failed to start", t);
            }
        }

        private static Optional<SymbolLookup> load() {
            for (String name : new String[] {"libcrypto.so.3", "libcrypto.so"}) {
                try {
                    return Optional.of(SymbolLookup.libraryLookup(name, Arena.global()));
                } catch (IllegalArgumentException notThere) {
                    // Try the next name; without any, the JDK's digest serves.
                }
            }
            return Optional.empty();
        }

        private static MethodHandle function(String name, FunctionDescriptor descriptor) {
            return CRYPTO.flatMap(lookup -> lookup.find(name)).map(f -> LINKER.downcallHandle(f, descriptor))
                    .orElse(null);
        }

        private static void check(int ok) {
            if (ok != 1) {
                throw new IllegalStateException("libcrypto's SHA-256 failed");
            }
        }

        @Override
        void update(MemorySegment window, long length) {
            try {
                check((int) UPDATE.invokeExact(context, window, length));
            } catch (Throwable t) {
                throw new IllegalStateException("libcrypto's SHA-256 failed", t);
            }
        }

        @Override
        byte[] digest() {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment out = arena.allocate(32);
                check((int) FINAL.invokeExact(context, out, MemorySegment.NULL));
                return out.toArray(ValueLayout.JAVA_BYTE);
            } catch (Throwable t) {
                throw new IllegalStateException("libcrypto's SHA-256 failed", t);
            } finally {
                try {
                    CTX_FREE.invokeExact(context);
                } catch (Throwable ignored) {
                    // Nothing to do about a failing free.
                }
            }
        }
    }

    static final class Jdk extends Sha256 {
        private final MessageDigest digest;

        Jdk() {
            try {
                digest = MessageDigest.getInstance("SHA-256");
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException("every JDK has SHA-256", e);
            }
        }

        @Override
        void update(MemorySegment window, long length) {
            digest.update(window.asSlice(0, length).asByteBuffer());
        }

        @Override
        byte[] digest() {
            return digest.digest();
        }
    }
}
