package org.fleece.block.copy;

import org.fleece.block.BlockStatus;
import org.fleece.block.Child;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;

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

    private final Child source;
    private final Child target;
    private final CopyBitmap bitmap;
    private final long length;
    private volatile Listener listener = (offset, bytes) -> { };
    /**
     * Cluster-sized direct buffers reused by guest writes' copies: a fresh
     * heap buffer per copy filled the small young generation every few dozen
     * writes, and the collections showed up as the guest's p99 latency.
     */
    private final ArrayBlockingQueue<ByteBuffer> buffers = new ArrayBlockingQueue<>(16);

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

    public void setListener(Listener listener) {
        this.listener = listener;
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
        try {
            List<long[]> runs;
            while (!(runs = bitmap.claimForWrite(offset, bytes)).isEmpty()) {
                for (long[] run : runs) {
                    ByteBuffer buffer = buffers.poll();
                    if (buffer == null) {
                        buffer = ByteBuffer.allocateDirect((int) clusterSize());
                    }
                    try {
                        copyRun(run, buffer);
                    } catch (CopyException e) {
                        bitmap.release(run[0], run[1], false);
                        throw e.error();
                    } finally {
                        buffers.offer(buffer);
                    }
                    finish(run);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException();
        }
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

    /** Zeroes are written as such, without reading them; data is read and written. */
    public void copyExtent(long offset, long bytes, boolean zero, ByteBuffer buffer) throws CopyException {
        if (zero) {
            try {
                target.writeZeroes(offset, bytes, 0);
            } catch (IOException e) {
                throw new CopyException(false, e);
            }
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
