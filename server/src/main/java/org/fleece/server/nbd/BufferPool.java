package org.fleece.server.nbd;

import java.nio.ByteBuffer;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * Direct buffers for request payloads, kept for reuse: allocating and zeroing
 * a direct buffer per request costs more than the copy it saves, and heap
 * buffers would be copied again by every socket and file call.
 * Sizes are rounded up to powers of two; a few of each size are kept.
 */
final class BufferPool {
    private static final int MIN_SHIFT = 12;
    private static final int MAX_SHIFT = 25;
    private static final int KEEP_SMALL = 64;
    private static final int KEEP_LARGE = 4;
    private static final int LARGE_SHIFT = 21;

    @SuppressWarnings("unchecked")
    private final ConcurrentLinkedQueue<ByteBuffer>[] free = new ConcurrentLinkedQueue[MAX_SHIFT + 1];

    BufferPool() {
        for (int i = MIN_SHIFT; i <= MAX_SHIFT; i++) {
            free[i] = new ConcurrentLinkedQueue<>();
        }
    }

    /** A buffer with position 0 and limit {@code size} (at most 32 MiB). */
    ByteBuffer take(int size) {
        int shift = shiftFor(size);
        ByteBuffer buffer = free[shift].poll();
        if (buffer == null) {
            buffer = ByteBuffer.allocateDirect(1 << shift);
        }
        return buffer.clear().limit(size);
    }

    void give(ByteBuffer buffer) {
        int shift = Integer.numberOfTrailingZeros(buffer.capacity());
        ConcurrentLinkedQueue<ByteBuffer> queue = free[shift];
        // The size check is racy by a few entries, which only means keeping a few more.
        if (queue.size() < (shift >= LARGE_SHIFT ? KEEP_LARGE : KEEP_SMALL)) {
            queue.offer(buffer);
        }
    }

    private static int shiftFor(int size) {
        int shift = 32 - Integer.numberOfLeadingZeros(Math.max(size, 1) - 1);
        return Math.max(shift, MIN_SHIFT);
    }
}
