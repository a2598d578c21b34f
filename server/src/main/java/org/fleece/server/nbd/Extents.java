package org.fleece.server.nbd;

import java.nio.ByteBuffer;

/**
 * The extents of one metadata context for one block status request: runs of
 * equal flags, neighbours with the same flags merged, as many as the limit
 * allows. They never reach past the request, so never past the export's end.
 */
final class Extents {
    /** QEMU's cap on descriptors in one chunk: 1 MiB of them. */
    static final int MAX_EXTENTS = (1 << 20) / 8;

    private final int contextId;
    private final int limit;
    private int[] lengths = new int[16];
    private int[] flags = new int[16];
    private int count;
    private long covered;

    Extents(int contextId, int limit) {
        this.contextId = contextId;
        this.limit = limit;
    }

    /** Adds a run; false when the chunk is full and the caller should stop. */
    boolean add(long length, int runFlags) {
        while (length > 0) {
            if (count > 0 && flags[count - 1] == runFlags
                    && Integer.toUnsignedLong(lengths[count - 1]) + length <= 0xffffffffL) {
                lengths[count - 1] += (int) length;
                covered += length;
                return true;
            }
            if (count == limit) {
                return false;
            }
            if (count == lengths.length) {
                lengths = java.util.Arrays.copyOf(lengths, count * 2);
                flags = java.util.Arrays.copyOf(flags, count * 2);
            }
            long piece = Math.min(length, 0xffffffffL);
            lengths[count] = (int) piece;
            flags[count] = runFlags;
            count++;
            covered += piece;
            length -= piece;
        }
        return true;
    }

    /** Whether another run could still be added (a run with the last one's flags always can). */
    boolean full() {
        return count == limit;
    }

    long covered() {
        return covered;
    }

    int count() {
        return count;
    }

    ByteBuffer encode() {
        ByteBuffer payload = ByteBuffer.allocate(4 + 8 * count).putInt(contextId);
        for (int i = 0; i < count; i++) {
            payload.putInt(lengths[i]).putInt(flags[i]);
        }
        return payload.flip();
    }
}
