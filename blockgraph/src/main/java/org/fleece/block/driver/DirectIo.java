package org.fleece.block.driver;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.LongSupplier;

/**
 * Reads and writes of a file opened with O_DIRECT (cache.direct=on), which
 * accepts only requests whose position, length and memory are aligned to
 * the file system's block. Other requests go through an aligned bounce
 * buffer; an unaligned write becomes read-modify-write of the blocks it
 * touches, and runs alone so that no other write lands in those blocks
 * between its read and its write (QEMU serialises such requests too).
 */
final class DirectIo {
    private final FileChannel channel;
    private final int alignment;
    private final LongSupplier fileSize;
    private final ReadWriteLock serialising = new ReentrantReadWriteLock();

    DirectIo(FileChannel channel, int alignment, LongSupplier fileSize) {
        this.channel = channel;
        this.alignment = alignment;
        this.fileSize = fileSize;
    }

    void read(long offset, ByteBuffer dst) throws IOException {
        if (aligned(offset, dst)) {
            readFully(offset, dst);
            return;
        }
        long start = alignDown(offset);
        ByteBuffer bounce = bounce(alignUp(offset + dst.remaining()) - start);
        readFully(start, bounce);
        dst.put(bounce.position((int) (offset - start)).limit((int) (offset - start) + dst.remaining()));
    }

    void write(long offset, ByteBuffer src) throws IOException {
        if (aligned(offset, src)) {
            serialising.readLock().lock();
            try {
                writeFully(offset, src);
            } finally {
                serialising.readLock().unlock();
            }
            return;
        }
        serialising.writeLock().lock();
        try {
            readModifyWrite(offset, src);
        } finally {
            serialising.writeLock().unlock();
        }
    }

    private void readModifyWrite(long offset, ByteBuffer src) throws IOException {
        long sizeBefore = fileSize.getAsLong();
        long end = offset + src.remaining();
        long start = alignDown(offset);
        ByteBuffer bounce = bounce(alignUp(end) - start);
        readFully(start, bounce);
        bounce.position((int) (offset - start));
        bounce.put(src);
        writeFully(start, bounce.rewind());
        // The last block is written whole; the file must not keep what lies past the request.
        if (alignUp(end) > sizeBefore) {
            channel.truncate(Math.max(sizeBefore, end));
        }
    }

    private boolean aligned(long offset, ByteBuffer buffer) {
        return offset % alignment == 0 && buffer.remaining() % alignment == 0 && buffer.isDirect()
                && MemorySegment.ofBuffer(buffer).address() % alignment == 0;
    }

    private ByteBuffer bounce(long length) {
        return ByteBuffer.allocateDirect((int) length + alignment).alignedSlice(alignment).limit((int) length);
    }

    /** What lies past the end of the file reads as zeroes. */
    private void readFully(long offset, ByteBuffer dst) throws IOException {
        long position = offset;
        while (dst.hasRemaining()) {
            int n = channel.read(dst, position);
            position += Math.max(n, 0);
            // Past a short read at the end of the file, a further read would start unaligned.
            if (n <= 0 || position >= fileSize.getAsLong()) {
                while (dst.hasRemaining()) {
                    dst.put((byte) 0);
                }
                return;
            }
        }
    }

    private void writeFully(long offset, ByteBuffer src) throws IOException {
        long position = offset;
        while (src.hasRemaining()) {
            position += channel.write(src, position);
        }
    }

    private long alignDown(long offset) {
        return offset - offset % alignment;
    }

    private long alignUp(long offset) {
        return alignDown(offset + alignment - 1);
    }
}
