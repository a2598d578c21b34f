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
 * and punching or zeroing ranges without writing them (fallocate). Each call
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
    private static final long ERRNO_OFFSET = Linker.Option.captureStateLayout()
            .byteOffset(java.lang.foreign.MemoryLayout.PathElement.groupElement("errno"));

    /** struct stat on x86_64 and aarch64 Linux: st_blocks at byte 64 of 144. */
    private static final long STAT_SIZE = 144;
    private static final long ST_BLOCKS_OFFSET = 64;
    private static final int O_RDONLY = 0;
    private static final int O_RDWR = 2;
    private static final int O_CLOEXEC = 0x80000;
    private static final int SEEK_DATA = 3;
    private static final int SEEK_HOLE = 4;
    private static final int ENXIO = 6;
    public static final int FALLOC_FL_KEEP_SIZE = 0x01;
    public static final int FALLOC_FL_PUNCH_HOLE = 0x02;
    public static final int FALLOC_FL_ZERO_RANGE = 0x10;

    private PosixFiles() {
    }

    private static MethodHandle function(String name, FunctionDescriptor descriptor, Linker.Option... options) {
        return LINKER.downcallHandle(LINKER.defaultLookup().find(name).orElseThrow(), descriptor, options);
    }

    public static long allocatedBytes(Path path) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment stat = arena.allocate(STAT_SIZE, 8);
            int rc = (int) STAT.invokeExact(arena.allocateFrom(path.toString()), stat);
            if (rc != 0) {
                throw new IOException("stat failed for " + path);
            }
            return stat.get(ValueLayout.JAVA_LONG, ST_BLOCKS_OFFSET) * 512;
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IOException(t);
        }
    }

    /** Opens a descriptor for {@link #nextData}, {@link #nextHole} and {@link #fallocate}. */
    public static int open(Path path, boolean writable) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            int fd = (int) OPEN.invokeExact(arena.allocateFrom(path.toString()), (writable ? O_RDWR : O_RDONLY) | O_CLOEXEC);
            if (fd < 0) {
                throw new IOException("open failed for " + path);
            }
            return fd;
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IOException(t);
        }
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
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(Linker.Option.captureStateLayout());
            long result = (long) LSEEK.invokeExact(state, fd, offset, whence);
            if (result < 0) {
                int errno = state.get(ValueLayout.JAVA_INT, ERRNO_OFFSET);
                if (errno == ENXIO) {
                    return -1;
                }
                throw new BlockIOException(Errno.byNumber(errno));
            }
            return result;
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IOException(t);
        }
    }

    /** Sets the file's length; growing leaves a hole. */
    public static void truncate(int fd, long length) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(Linker.Option.captureStateLayout());
            int rc = (int) FTRUNCATE.invokeExact(state, fd, length);
            if (rc != 0) {
                throw new BlockIOException(Errno.byNumber(state.get(ValueLayout.JAVA_INT, ERRNO_OFFSET)));
            }
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IOException(t);
        }
    }

    /** fallocate(2); fails with the errno (EOPNOTSUPP where the file system cannot). */
    public static void fallocate(int fd, int mode, long offset, long length) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(Linker.Option.captureStateLayout());
            int rc = (int) FALLOCATE.invokeExact(state, fd, mode, offset, length);
            if (rc != 0) {
                throw new BlockIOException(Errno.byNumber(state.get(ValueLayout.JAVA_INT, ERRNO_OFFSET)));
            }
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IOException(t);
        }
    }
}
