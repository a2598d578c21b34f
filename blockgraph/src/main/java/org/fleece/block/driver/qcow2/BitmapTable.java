package org.fleece.block.driver.qcow2;

import org.fleece.block.BlockIOException;
import org.fleece.block.Errno;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * A bitmap table (qcow2.txt, "Bitmap table"): one 64-bit entry per cluster
 * of bitmap data, the data cluster's offset, or 0 for a clean cluster (bit 0
 * set: every granule dirty).
 */
final class BitmapTable {
    /** Bits 1-8 and 56-63 are reserved. */
    private static final long RESERVED = 0xff000000000001feL;
    static final long OFFSET_MASK = 0x00fffffffffffe00L;
    static final long ALL_ONES = 1;

    private BitmapTable() {
    }

    /** Entries a bitmap needs whose serialized form takes {@code dataBytes}. */
    static long entriesFor(long dataBytes, int clusterSize) {
        return (dataBytes + clusterSize - 1) / clusterSize;
    }

    /** Whether QEMU accepts the entry: nothing reserved, and an offset (if any) cluster-aligned without the all-ones bit. */
    static boolean validEntry(long entry, int clusterSize) {
        if ((entry & RESERVED) != 0) {
            return false;
        }
        long offset = entry & OFFSET_MASK;
        return offset == 0 || ((entry & ALL_ONES) == 0 && offset % clusterSize == 0);
    }

    /** A bitmap's table from the image, every entry checked as QEMU checks them (EINVAL if one is wrong). */
    static long[] read(Qcow2File io, BitmapDirectory.Entry entry, int clusterSize) throws IOException {
        long[] table = decode(io.readMetadata(entry.tableOffset(), entry.tableSize() * 8), entry.tableSize());
        for (long value : table) {
            if (!validEntry(value, clusterSize)) {
                throw new BlockIOException(Errno.EINVAL);
            }
        }
        return table;
    }

    static long[] decode(ByteBuffer raw, int entries) {
        long[] table = new long[entries];
        raw.duplicate().order(ByteOrder.BIG_ENDIAN).asLongBuffer().get(table);
        return table;
    }

    static ByteBuffer encode(long[] table) {
        ByteBuffer raw = ByteBuffer.allocate(table.length * 8).order(ByteOrder.BIG_ENDIAN);
        raw.asLongBuffer().put(table);
        return raw;
    }
}
