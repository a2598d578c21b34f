package org.fleece.block.copy;

import org.fleece.block.BlockStatus;
import org.fleece.block.Child;
import org.fleece.block.FileRegionSink;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.util.List;

/**
 * QEMU's block-copy: copies clusters of a source to the same offsets of a
 * target, each at most once, whoever asks first: a guest write about to
 * overwrite them (copy-before-write) or a job's workers going through the
 * {@link CopyBitmap}. Zero stretches go to the target as write-zeroes
 * without being read. Any thread; the edges do the I/O.
 */
public final class BlockCopy {
    /** A run of clusters reached the target (by whichever copier): a job counts it, discard-source drops it. */
    @FunctionalInterface
    public interface Listener {
        void copied(long offset, long bytes);
    }

    /**
     * Runs shorter than this are read and written instead: copies into one
     * target file take turns in the kernel, while small buffered copies run
     * side by side, which wins for scattered clusters (incremental backups).
     */
    private static final long OFFLOAD_MIN = 1 << 20;

    /**
     * Workers a job needs where the copy goes file to file in the kernel:
     * the kernel takes the writes into one file one at a time (ext4's inode
     * lock), so a second worker finding and claiming the next run while the
     * first copies is all that helps; more only hand the file back and forth
     * (2 GiB, page-cached: 2.9 GiB/s with 64 workers, 4.0 with one or two).
     */
    private static final int KERNEL_COPY_WORKERS = 2;

    /** What a guest write's copy moves at once. */
    private static final long GUEST_BUFFER = 1 << 20;

    private final java.util.Queue<ByteBuffer> buffers = new java.util.concurrent.ConcurrentLinkedQueue<>();
    private final Child source;
    private final Child target;
    private final CopyBitmap bitmap;
    private final long length;
    private volatile Listener listener = (offset, bytes) -> { };
    /** Whether file-to-file copies may go through the kernel (a backup's x-perf use-copy-range). */
    private volatile boolean offload = true;

    public BlockCopy(Child source, Child target, long clusterSize, long length) {
        this.source = source;
        this.target = target;
        this.length = length;
        this.bitmap = new CopyBitmap(clusterSize, length);
    }

    public CopyBitmap bitmap() {
        return bitmap;
    }

    public long clusterSize() {
        return bitmap.clusterSize();
    }

    public long length() {
        return length;
    }

    public Child source() {
        return source;
    }

    /** See {@link org.fleece.block.BlockDriver#prepareWrites}: the copy is about to write there. */
    public void prepareTarget(long offset, long bytes) throws IOException {
        target.prepareWrites(offset, bytes);
    }

    public void setListener(Listener listener) {
        this.listener = listener;
    }

    public void setOffload(boolean offload) {
        this.offload = offload;
    }

    /** How many of a job's {@code max} workers can make the copy go faster. */
    public int usefulWorkers(int max) {
        return offload && betweenFiles() ? Math.min(max, KERNEL_COPY_WORKERS) : max;
    }

    private boolean betweenFiles() {
        FileRegionSink ask = (file, position, bytes) -> { };
        try {
            return source.readFileRegion(0, 0, ask) && target.writeFileRegion(0, 0, ask);
        } catch (IOException e) {
            return false;
        }
    }

    /** Bytes a claimed run {first cluster, count} covers; the last cluster may be partial. */
    public long runBytes(long[] run) {
        long offset = run[0] * clusterSize();
        return Math.min(run[1] * clusterSize(), length - offset);
    }

    /**
     * Before a guest write: the old data of every cluster the range touches
     * that is still to be copied goes to the target first; clusters others
     * are copying are waited for. Fails with the copy's error; the clusters
     * then stay to be copied.
     */
    public void copyBeforeWrite(long offset, long bytes) throws IOException {
        ByteBuffer buffer = null;
        try {
            List<long[]> runs;
            while (!(runs = bitmap.claimForWrite(offset, bytes)).isEmpty()) {
                for (long[] run : runs) {
                    if (buffer == null) {
                        buffer = takeBuffer();
                    }
                    try {
                        copyRun(run, buffer);
                    } catch (CopyException e) {
                        bitmap.release(run[0], run[1], false);
                        throw e.error();
                    }
                    finish(run);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException();
        } finally {
            if (buffer != null) {
                buffers.offer(buffer);
            }
        }
    }

    /** Guest writes copy through buffers kept for the next one: no garbage on the guest's path. */
    private ByteBuffer takeBuffer() {
        ByteBuffer buffer = buffers.poll();
        return buffer != null ? buffer : ByteBuffer.allocateDirect((int) Math.min(GUEST_BUFFER, Math.max(length, 1)));
    }

    /** A claimed run is on the target: it counts as copied. */
    public void finish(long[] run) {
        bitmap.release(run[0], run[1], true);
        listener.copied(run[0] * clusterSize(), runBytes(run));
    }

    /** Copies one claimed run: zero stretches as write-zeroes without reading them, the rest read and written. */
    public void copyRun(long[] run, ByteBuffer buffer) throws CopyException {
        long offset = run[0] * clusterSize();
        long end = offset + runBytes(run);
        while (offset < end) {
            BlockStatus status;
            try {
                status = source.blockStatus(offset, end - offset);
            } catch (IOException e) {
                status = new BlockStatus(end - offset, true, false, true);
            }
            long bytes = Math.min(status.bytes(), end - offset);
            copyExtent(offset, bytes, status.zero(), buffer);
            offset += bytes;
        }
    }

    /** Signals that the target has no file range for an offloaded copy; nothing was done. */
    private static final class NoFileRange extends RuntimeException {
        private static final NoFileRange INSTANCE = new NoFileRange();

        private NoFileRange() {
            super(null, null, false, false);
        }
    }

    /**
     * Whether the kernel copied the range. An error there is not reported:
     * as QEMU does after a failed copy offload, the ordinary copy runs and
     * says which side failed.
     */
    private boolean offloaded(long offset, long bytes) {
        try {
            return source.readFileRegion(offset, bytes, (in, inPosition, length) -> {
                if (!target.writeFileRegion(offset, length, (out, outPosition, count) ->
                        FileRangeCopy.copy(in, inPosition, out, outPosition, count))) {
                    throw NoFileRange.INSTANCE;
                }
            });
        } catch (NoFileRange | IOException e) {
            return false;
        }
    }

    /**
     * Zeroes are written as such, without reading them; data goes from file
     * to file inside the kernel where both nodes store the range in a host
     * file byte for byte, and is read and written otherwise.
     */
    public void copyExtent(long offset, long bytes, boolean zero, ByteBuffer buffer) throws CopyException {
        if (zero) {
            try {
                target.writeZeroes(offset, bytes, 0);
            } catch (IOException e) {
                throw new CopyException(false, e);
            }
            return;
        }
        if (offload && bytes >= OFFLOAD_MIN && offloaded(offset, bytes)) {
            return;
        }
        for (long done = 0; done < bytes; ) {
            int chunk = (int) Math.min(buffer.capacity(), bytes - done);
            buffer.clear().limit(chunk);
            try {
                source.read(offset + done, buffer);
            } catch (IOException e) {
                throw new CopyException(true, e);
            }
            buffer.flip();
            try {
                target.write(offset + done, buffer, 0);
            } catch (IOException e) {
                throw new CopyException(false, e);
            }
            done += chunk;
        }
    }
}
