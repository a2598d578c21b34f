package org.fleece.block.driver.qcow2;

import org.fleece.block.BlockIOException;
import org.fleece.block.Errno;

import java.io.IOException;
import java.nio.BufferOverflowException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Rewrites the header cluster with another bitmaps extension (or none) and
 * autoclear field, in one write as QEMU rewrites its header. Everything else
 * in the cluster is kept as the file has it now: the header fields (which
 * the driver updates in place), every other extension, even unknown ones,
 * and the backing file name, which moves to follow the extensions.
 */
final class HeaderExtensions {
    private HeaderExtensions() {
    }

    /** The caller holds the metadata lock and syncs afterwards. Version 2 headers have no autoclear field. */
    static void writeBitmaps(Qcow2File io, int clusterSize, Qcow2Header.BitmapsExtension bitmaps, long autoclear)
            throws IOException {
        ByteBuffer old = io.readMetadata(0, clusterSize);
        ByteBuffer out = ByteBuffer.allocate(clusterSize).order(ByteOrder.BIG_ENDIAN);
        int headerLength = old.getInt(4) >= 3 ? old.getInt(100) : 72;
        long backingOffset = old.getLong(8);
        byte[] backing = null;
        if (backingOffset != 0) {
            backing = new byte[old.getInt(16)];
            old.get((int) backingOffset, backing);
        }
        int limit = backingOffset != 0 ? (int) Math.min(backingOffset, clusterSize) : clusterSize;
        try {
            out.put(old.slice(0, headerLength));
            boolean placed = false;
            int pos = headerLength;
            while (pos + 8 <= limit) {
                int type = old.getInt(pos);
                int length = old.getInt(pos + 4);
                if (type == Qcow2Header.EXT_END) {
                    break;
                }
                int padded = (length + 7) & ~7;
                if (type == Qcow2Header.EXT_BITMAPS) {
                    if (bitmaps != null) {
                        bitmaps.writeTo(out);
                    }
                    placed = true;
                } else {
                    out.putInt(type).putInt(length).put(old.slice(pos + 8, length));
                    out.position(out.position() + padded - length);
                }
                pos += 8 + padded;
            }
            if (!placed && bitmaps != null) {
                bitmaps.writeTo(out);
            }
            out.putInt(Qcow2Header.EXT_END).putInt(0);
            if (backing != null) {
                out.putLong(8, out.position());
                out.put(backing);
            }
        } catch (BufferOverflowException | IndexOutOfBoundsException e) {
            throw new BlockIOException(Errno.ENOSPC);
        }
        if (headerLength > Qcow2Header.AUTOCLEAR_OFFSET) {
            out.putLong(Qcow2Header.AUTOCLEAR_OFFSET, autoclear);
        }
        io.writeMetadata(0, out.clear());
    }
}
