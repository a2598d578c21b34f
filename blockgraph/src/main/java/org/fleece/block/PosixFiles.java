package org.fleece.block;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Path;

/**
 * What Java's file API does not offer, asked of the C library through the
 * foreign function API: the space a file takes (stat's st_blocks, QEMU's
 * "actual-size"), where its data and holes are (lseek SEEK_DATA/SEEK_HOLE),
 * punching or zeroing ranges without writing them (fallocate) and byte-range
 * locks that belong to an open file description (fcntl F_OFD_*). Each call
 * takes a file descriptor of its own, opened with {@link #open}.
 */
public final class PosixFiles {
    private static final Linker LINKER = Linker.nativeLinker();
    private static final MethodHandle STAT = function("stat",
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS));
    private static final MethodHandle OPEN = function("open",
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
    private static final MethodHandle CLOSE = function("close",
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
    private static final MethodHandle LSEEK = function("lseek",
            FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT),
            Linker.Option.captureCallState("errno"));
    private static final MethodHandle FALLOCATE = function("fallocate",
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT,
                    ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG),
            Linker.Option.captureCallState("errno"));
    private static final MethodHandle FTRUNCATE = function("ftruncate",
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG),
            Linker.Option.captureCallState("errno"));
    /** fcntl(fd, cmd, struct flock *): variadic in C, so the pointer is declared as the first variadic argument. */
    private static final MethodHandle FCNTL_LOCK = function("fcntl",
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.ADDRESS),
            Linker.Option.firstVariadicArg(2), Linker.Option.captureCallState("errno"));
    private static final long ERRNO_OFFSET = Linker.Option.captureStateLayout()
            .byteOffset(java.lang.foreign.MemoryLayout.PathElement.groupElement("errno"));
    /**
     * Where lseek leaves its errno, one per thread: block status makes an lseek
     * per extent, and an arena per call cost more than the call itself.
     */
    private static final ThreadLocal<MemorySegment> SEEK_ERRNO =
            ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(Linker.Option.captureStateLayout()));

    /** struct stat on x86_64 and aarch64 Linux: st_blocks at byte 64 of 144. */
    private static final long STAT_SIZE = 144;
    private static final long ST_BLOCKS_OFFSET = 64;
    private static final int O_RDONLY = 0;
    private static final int O_RDWR = 2;
    private static final int O_CLOEXEC = 0x80000;
    private static final int SEEK_DATA = 3;
    private static final int SEEK_HOLE = 4;
    private static final int ENXIO = 6;
    private static final int F_OFD_GETLK = 36;
    private static final int F_OFD_SETLK = 37;
    private static final short F_RDLCK = 0;
    private static final short F_WRLCK = 1;
    private static final short F_UNLCK = 2;
    /** struct flock on 64-bit Linux: l_type, l_whence (shorts), l_start, l_len (off_t), l_pid. */
    private static final long FLOCK_SIZE = 32;
    private static final long FLOCK_START = 8;
    private static final long FLOCK_LEN = 16;
    public static final int FALLOC_FL_KEEP_SIZE = 0x01;
    public static final int FALLOC_FL_PUNCH_HOLE = 0x02;
    public static final int FALLOC_FL_ZERO_RANGE = 0x10;

    private PosixFiles() {
    }

    private static MethodHandle function(String name, FunctionDescriptor descriptor, Linker.Option... options) {
        return LINKER.downcallHandle(LINKER.defaultLookup().find(name).orElseThrow(), descriptor, options);
    }

    /** A native call with a confined arena for its arguments and its captured errno. */
    @FunctionalInterface
    private interface NativeCall<T> {
        T call(Arena arena, MemorySegment errnoState) throws Throwable;
    }

    /** Runs a native call; method handles throw Throwable, which is not an I/O error of ours unless it is one. */
    private static <T> T invoke(NativeCall<T> call) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            return call.call(arena, arena.allocate(Linker.Option.captureStateLayout()));
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IOException(t);
        }
    }

    private static int errno(MemorySegment errnoState) {
        return errnoState.get(ValueLayout.JAVA_INT, ERRNO_OFFSET);
    }

    public static long allocatedBytes(Path path) throws IOException {
        return invoke((arena, errnoState) -> {
            MemorySegment stat = arena.allocate(STAT_SIZE, 8);
            int rc = (int) STAT.invokeExact(arena.allocateFrom(path.toString()), stat);
            if (rc != 0) {
                throw new IOException("stat failed for " + path);
            }
            return stat.get(ValueLayout.JAVA_LONG, ST_BLOCKS_OFFSET) * 512;
        });
    }

    /** Opens a descriptor for {@link #nextData}, {@link #nextHole} and {@link #fallocate}. */
    public static int open(Path path, boolean writable) throws IOException {
        return invoke((arena, errnoState) -> {
            int fd = (int) OPEN.invokeExact(arena.allocateFrom(path.toString()), (writable ? O_RDWR : O_RDONLY) | O_CLOEXEC);
            if (fd < 0) {
                throw new IOException("open failed for " + path);
            }
            return fd;
        });
    }

    public static void close(int fd) {
        try {
            int ignored = (int) CLOSE.invokeExact(fd);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** The first byte at or after offset that holds data, or -1 when only holes follow. */
    public static long nextData(int fd, long offset) throws IOException {
        return seek(fd, offset, SEEK_DATA);
    }

    /** The first byte at or after offset in a hole (the end of the file counts as one). */
    public static long nextHole(int fd, long offset) throws IOException {
        return seek(fd, offset, SEEK_HOLE);
    }

    private static long seek(int fd, long offset, int whence) throws IOException {
        MemorySegment errnoState = SEEK_ERRNO.get();
        long result;
        try {
            result = (long) LSEEK.invokeExact(errnoState, fd, offset, whence);
        } catch (Throwable t) {
            throw new IOException(t);
        }
        if (result < 0) {
            if (errno(errnoState) == ENXIO) {
                return -1L;
            }
            throw new BlockIOException(Errno.byNumber(errno(errnoState)));
        }
        return result;
    }

    /** Sets the file's length; growing leaves a hole. */
    public static void truncate(int fd, long length) throws IOException {
        invoke((arena, errnoState) -> checked((int) FTRUNCATE.invokeExact(errnoState, fd, length), errnoState));
    }

    /** fallocate(2); fails with the errno (EOPNOTSUPP where the file system cannot). */
    public static void fallocate(int fd, int mode, long offset, long length) throws IOException {
        invoke((arena, errnoState) -> checked((int) FALLOCATE.invokeExact(errnoState, fd, mode, offset, length),
                errnoState));
    }

    /**
     * Takes a shared open-file-description lock on one byte, or releases it:
     * QEMU's image locking (locks belong to the descriptor, so two nodes of
     * one process on the same image see each other's, as two processes do).
     */
    public static void lockByte(int fd, long offset, boolean lock) throws IOException {
        invoke((arena, errnoState) -> checked((int) FCNTL_LOCK.invokeExact(errnoState, fd, F_OFD_SETLK,
                flock(arena, lock ? F_RDLCK : F_UNLCK, offset)), errnoState));
    }

    /** Whether another descriptor holds a lock on the byte (one an exclusive lock would conflict with). */
    public static boolean byteLockedElsewhere(int fd, long offset) throws IOException {
        return invoke((arena, errnoState) -> {
            MemorySegment flock = flock(arena, F_WRLCK, offset);
            checked((int) FCNTL_LOCK.invokeExact(errnoState, fd, F_OFD_GETLK, flock), errnoState);
            return flock.get(ValueLayout.JAVA_SHORT, 0) != F_UNLCK;
        });
    }

    private static MemorySegment flock(Arena arena, short type, long offset) {
        MemorySegment flock = arena.allocate(FLOCK_SIZE, 8);
        flock.set(ValueLayout.JAVA_SHORT, 0, type);
        flock.set(ValueLayout.JAVA_LONG, FLOCK_START, offset);
        flock.set(ValueLayout.JAVA_LONG, FLOCK_LEN, 1);
        return flock;
    }

    /** A call that returns 0 or -1 with errno set. */
    private static Void checked(int rc, MemorySegment errnoState) throws BlockIOException {
        if (rc != 0) {
            throw new BlockIOException(Errno.byNumber(errno(errnoState)));
        }
        return null;
    }
}
