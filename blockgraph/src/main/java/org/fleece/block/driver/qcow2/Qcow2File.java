package org.fleece.block.driver.qcow2;

import org.fleece.block.Child;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The qcow2 node's view of its file child for metadata: big-endian tables,
 * in-place header fields, and syncs that order metadata writes.
 */
final class Qcow2File {
    private final Child file;
    /**
     * Set while the graph changes the qcow2 node with its subtree drained
     * (block_resize, close): the node's own metadata I/O must then pass the
     * file node's gate, as a draining parent's requests do in QEMU.
     */
    private volatile boolean closing;

    Qcow2File(Child file) {
        this.file = file;
    }

    void closing() {
        closing = true;
    }

    /** I/O the node does while the graph holds it and its file drained. */
    interface DrainedWork {
        void run() throws IOException;
    }

    void whileDrained(DrainedWork work) throws IOException {
        boolean was = closing;
        closing = true;
        try {
            work.run();
        } finally {
            closing = was;
        }
    }

    private void nodeRead(long offset, ByteBuffer dst) throws IOException {
        if (closing) {
            file.driver().read(offset, dst);
        } else {
            file.read(offset, dst);
        }
    }

    private void nodeWrite(long offset, ByteBuffer src) throws IOException {
        if (closing) {
            file.driver().write(offset, src);
        } else {
            file.write(offset, src);
        }
    }

    /** The edge to the file, for ranges handed out whole (sendfile). */
    Child child() {
        return file;
    }

    /** Reads metadata; bytes past the end of the file read as zeroes. */
    ByteBuffer readMetadata(long offset, int length) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(length).order(ByteOrder.BIG_ENDIAN);
        long fileLength = file.length();
        if (offset < fileLength) {
            nodeRead(offset, buffer.limit((int) Math.min(length, fileLength - offset)));
        }
        return buffer.clear();
    }

    void writeMetadata(long offset, ByteBuffer data) throws IOException {
        write(offset, data.duplicate());
    }

    /** Writes past the end of the file grow it first, as a protocol node would for its format. */
    void write(long offset, ByteBuffer data) throws IOException {
        grow(offset + data.remaining());
        nodeWrite(offset, data);
    }

    /** Makes the file at least {@code end} bytes long. */
    void grow(long end) throws IOException {
        if (end > file.driver().size()) {
            extend(end);
        }
    }

    private synchronized void extend(long end) throws IOException {
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
            nodeRead(offset, dst);
            dst.limit(keep);
            zero(dst);
            return;
        }
        nodeRead(offset, dst);
    }

    /** Fills what remains of dst with zeroes in one bulk fill (a byte loop costs more than the I/O around it). */
    static void zero(ByteBuffer dst) {
        java.lang.foreign.MemorySegment.ofBuffer(dst).fill((byte) 0);
        dst.position(dst.limit());
    }

    long length() throws IOException {
        return file.length();
    }

    void sync() throws IOException {
        file.flush();
    }

    void discard(long offset, long length) throws IOException {
        long bytes = Math.max(0, Math.min(length, file.length() - offset));
        if (closing) {
            file.driver().discard(offset, bytes);
        } else {
            file.discard(offset, bytes);
        }
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
