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
 * What Java's file API does not tell, asked of the C library through the
 * foreign function API: here, the space a file takes on disk (stat's
 * st_blocks), which QEMU reports as "actual-size" and which differs from the
 * length for sparse files.
 */
public final class PosixFiles {
    /** struct stat on x86_64 and aarch64 Linux: st_blocks at byte 64 of 144. */
    private static final long STAT_SIZE = 144;
    private static final long ST_BLOCKS_OFFSET = 64;
    private static final MethodHandle STAT = Linker.nativeLinker().downcallHandle(
            Linker.nativeLinker().defaultLookup().find("stat").orElseThrow(),
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS));

    private PosixFiles() {
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
}
