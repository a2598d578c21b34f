package org.fleece.block.backup;

import org.fleece.block.bitmap.DirtyBitmap;

/**
 * A backup's settings once blockdev-backup's rules have been checked.
 *
 * @param bitmap null without one; frozen while the job runs
 * @param onSourceError,onTargetError QEMU's BlockdevOnError names
 * @param maxChunk 0 for no limit beyond the default chunk
 * @param discardSource upstream QEMU's discard-source: copied clusters are discarded from the source
 */
public record BackupOptions(SyncMode sync, DirtyBitmap bitmap, BitmapMode bitmapMode, String onSourceError,
                            String onTargetError, int maxWorkers, long maxChunk, boolean useCopyRange,
                            boolean discardSource, boolean autoFinalize, boolean autoDismiss) {
    /** QEMU's backup cluster size for targets without a cluster size of their own. */
    public static final long DEFAULT_CLUSTER_SIZE = 64 * 1024;
    /** A read-and-write copy moves at most this much at once (QEMU's BLOCK_COPY_MAX_BUFFER). */
    static final long MAX_BUFFER = 1024 * 1024;
    /**
     * A worker claims at most this much at once without max-chunk: a copy the
     * kernel does between files pays per call, so it wants long runs, but a
     * guest write to a cluster of a claimed run waits for the whole run, so
     * not too long (4 MiB copy in about 2 ms here). A buffered copy goes
     * through its buffer in pieces.
     */
    static final long MAX_CHUNK = 4 * 1024 * 1024;
}
