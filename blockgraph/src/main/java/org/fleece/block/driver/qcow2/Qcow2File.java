package org.fleece.block.driver.qcow2;

import org.fleece.block.BlockNode;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The qcow2 node's view of its file child for metadata: big-endian tables,
 * in-place header fields, and syncs that order metadata writes.
 */
final class Qcow2File {
    private final BlockNode file;

    Qcow2File(BlockNode file) {
        this.file = file;
    }

    BlockNode node() {
        return file;
    }

    /** Reads metadata; bytes past the end of the file read as zeroes. */
    ByteBuffer readMetadata(long offset, int length) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(length).order(ByteOrder.BIG_ENDIAN);
        long fileLength = file.length();
        if (offset < fileLength) {
            file.read(offset, buffer.limit((int) Math.min(length, fileLength - offset)));
        }
        return buffer.clear();
    }

    void writeMetadata(long offset, ByteBuffer data) throws IOException {
        write(offset, data.duplicate());
    }

    /** Writes past the end of the file grow it first, as a protocol node would for its format. */
    void write(long offset, ByteBuffer data) throws IOException {
        long end = offset + data.remaining();
        if (end > file.driver().size()) {
            grow(end);
        }
        file.write(offset, data);
    }

    private synchronized void grow(long end) throws IOException {
        if (end > file.driver().size()) {
            file.driver().truncate(end);
        }
    }

    void read(long offset, ByteBuffer dst) throws IOException {
        long fileLength = file.length();
        if (offset >= fileLength) {
            zero(dst);
            return;
        }
        if (offset + dst.remaining() > fileLength) {
            int keep = dst.limit();
            dst.limit(dst.position() + (int) (fileLength - offset));
            file.read(offset, dst);
            dst.limit(keep);
            zero(dst);
            return;
        }
        file.read(offset, dst);
    }

    static void zero(ByteBuffer dst) {
        while (dst.remaining() >= 8) {
            dst.putLong(0);
        }
        while (dst.hasRemaining()) {
            dst.put((byte) 0);
        }
    }

    void sync() throws IOException {
        file.flush();
    }

    void discard(long offset, long length) throws IOException {
        file.discard(offset, Math.max(0, Math.min(length, file.length() - offset)));
    }

    void writeRefcountTableLocation(long offset, int clusters) throws IOException {
        writeMetadata(Qcow2Header.REFCOUNT_TABLE_OFFSET, ByteBuffer.allocate(12).putLong(offset).putInt(clusters).flip());
    }

    void writeL1Location(int size, long offset) throws IOException {
        writeMetadata(Qcow2Header.L1_SIZE_OFFSET, ByteBuffer.allocate(12).putInt(size).putLong(offset).flip());
    }

    void writeSize(long size) throws IOException {
        writeMetadata(Qcow2Header.SIZE_OFFSET, ByteBuffer.allocate(8).putLong(size).flip());
    }

    void writeIncompatibleFeatures(long bits) throws IOException {
        writeMetadata(Qcow2Header.INCOMPATIBLE_OFFSET, ByteBuffer.allocate(8).putLong(bits).flip());
    }

    void writeAutoclearFeatures(long bits) throws IOException {
        writeMetadata(Qcow2Header.AUTOCLEAR_OFFSET, ByteBuffer.allocate(8).putLong(bits).flip());
    }
}
