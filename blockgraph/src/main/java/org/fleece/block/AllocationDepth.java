package org.fleece.block;

import java.io.IOException;

/**
 * Which layer provides a range, as QEMU's qemu:allocation-depth context
 * reports it: 1 for the node itself, n for the (n-1)th node down its chain
 * of filtered and backing children, 0 where no layer does.
 *
 * @param bytes how far from the queried offset this answer holds (at least 1)
 */
public record AllocationDepth(long bytes, int depth) {

    /**
     * Walks down the chain until a layer allocates the start of the range.
     * Zeroes read past the end of a shorter layer count as allocated in that
     * layer, as QEMU counts them, so only a range no layer covers is absent.
     */
    static AllocationDepth of(BlockNode top, long offset, long bytes) throws IOException {
        long run = bytes;
        int depth = 1;
        for (BlockNode node = top; ; depth++) {
            BlockStatus status = node.blockStatus(offset, run);
            run = Math.min(run, status.bytes());
            if (status.allocated()) {
                return new AllocationDepth(run, depth);
            }
            BlockNode below = node.filteredOrBackingChild();
            if (below == null) {
                return new AllocationDepth(run, 0);
            }
            long belowLength = below.length();
            if (offset >= belowLength) {
                return new AllocationDepth(run, depth + 1);
            }
            run = Math.min(run, belowLength - offset);
            node = below;
        }
    }
}
