package org.fleece.block.driver.qcow2;

/**
 * Reading the 64-bit entries of L1 and L2 tables (standard clusters, no
 * subclusters). An L2 entry says where a guest cluster lives: nowhere
 * (read through to the backing file), reads-as-zero, a host cluster, or a
 * run of compressed bytes.
 */
final class L2Entry {
    static final long COPIED = 1L << 63;
    static final long COMPRESSED = 1L << 62;
    static final long ZERO = 1L;
    /** Bits 9-55: a host cluster's offset (L2 standard entries and L1 entries alike). */
    static final long OFFSET_MASK = 0x00fffffffffffe00L;

    enum Type { UNALLOCATED, ZERO_PLAIN, ZERO_ALLOC, NORMAL, COMPRESSED }

    private L2Entry() {
    }

    static Type type(long entry, boolean zeroFlag) {
        if ((entry & COMPRESSED) != 0) {
            return Type.COMPRESSED;
        }
        if (zeroFlag && (entry & ZERO) != 0) {
            return (entry & OFFSET_MASK) == 0 ? Type.ZERO_PLAIN : Type.ZERO_ALLOC;
        }
        return (entry & OFFSET_MASK) == 0 ? Type.UNALLOCATED : Type.NORMAL;
    }

    static long offset(long entry) {
        return entry & OFFSET_MASK;
    }

    /** A cluster written in place: allocated here and referenced only from here. */
    static boolean writableInPlace(long entry, boolean zeroFlag) {
        return (entry & COPIED) != 0 && type(entry, zeroFlag) == Type.NORMAL;
    }

    /** How many of the first {@code count} entries are written in place, at host clusters following the first's. */
    static int inPlaceRun(long[] entries, int count, boolean zeroFlag, long clusterSize) {
        int run = 0;
        while (run < count && writableInPlace(entries[run], zeroFlag)
                && offset(entries[run]) == offset(entries[0]) + run * clusterSize) {
            run++;
        }
        return run;
    }

    /** How many of the first {@code count} entries need new host clusters to be written. */
    static int allocatingRun(long[] entries, int count, boolean zeroFlag) {
        int run = 0;
        while (run < count && !writableInPlace(entries[run], zeroFlag)) {
            run++;
        }
        return run;
    }

    /** Where a compressed cluster's bytes start in the file. */
    static long compressedOffset(long entry, int clusterBits) {
        return entry & ((1L << (62 - (clusterBits - 8))) - 1);
    }

    /** How many bytes from {@link #compressedOffset} may belong to the compressed cluster (whole 512-byte sectors). */
    static int compressedLength(long entry, int clusterBits) {
        int shift = 62 - (clusterBits - 8);
        long sectors = ((entry >>> shift) & ((1L << (clusterBits - 8)) - 1)) + 1;
        long offset = compressedOffset(entry, clusterBits);
        return (int) (sectors * 512 - (offset & 511));
    }
}
