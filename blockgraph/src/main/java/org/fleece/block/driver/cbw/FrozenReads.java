package org.fleece.block.driver.cbw;

import java.util.ArrayList;
import java.util.List;

/**
 * Snapshot reads in flight that read old data from the active disk (the
 * clusters were not copied yet). A guest write to such a range waits for
 * them after its copy is done and before it writes, so the read still sees
 * the old data; nothing else ever waits for a snapshot read.
 */
final class FrozenReads {
    private final List<long[]> ranges = new ArrayList<>();

    /** Registers a read of [start, end); call while the copy bitmap cannot change. */
    synchronized long[] register(long start, long end) {
        long[] range = {start, end};
        ranges.add(range);
        return range;
    }

    synchronized void unregister(long[] range) {
        ranges.remove(range);
        notifyAll();
    }

    /** Waits until no registered read overlaps [start, end). */
    synchronized void awaitNone(long start, long end) throws InterruptedException {
        while (overlaps(start, end)) {
            wait();
        }
    }

    private boolean overlaps(long start, long end) {
        for (long[] range : ranges) {
            if (range[0] < end && start < range[1]) {
                return true;
            }
        }
        return false;
    }
}
