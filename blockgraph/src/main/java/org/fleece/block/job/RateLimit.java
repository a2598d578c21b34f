package org.fleece.block.job;

/**
 * A job's speed limit, accounted in 100 ms slices as QEMU's ratelimit does:
 * a chunk may always start within a slice that has quota left, and a slice
 * that overran is stretched until the excess is paid for.
 */
final class RateLimit {
    private static final long SLICE_NS = 100_000_000L;

    private long sliceQuota;
    private long sliceStart;
    private long sliceEnd;
    private long dispatched;

    synchronized void setSpeed(long bytesPerSecond) {
        sliceQuota = Math.max(bytesPerSecond * SLICE_NS / 1_000_000_000L, bytesPerSecond == 0 ? 0 : 1);
    }

    /**
     * Reserves bytes for a chunk about to be copied when the current slice
     * has quota left (returns 0), else returns how long until it has: the
     * chunk that overruns a slice still goes, and stretches the slice.
     */
    synchronized long reserve(long bytes, long now) {
        if (sliceQuota == 0) {
            return 0;
        }
        if (sliceEnd < now) {
            sliceStart = now;
            sliceEnd = now + SLICE_NS;
            dispatched = 0;
        }
        if (dispatched >= sliceQuota) {
            return Math.max(1, sliceEnd - now);
        }
        dispatched += bytes;
        if (dispatched >= sliceQuota) {
            sliceEnd = sliceStart + (long) ((double) dispatched / sliceQuota * SLICE_NS);
        }
        return 0;
    }
}
