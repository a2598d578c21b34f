package org.fleece.block.backup;

import org.fleece.block.BeforeWrite;
import org.fleece.block.BlockBackend;
import org.fleece.block.BlockGraph;
import org.fleece.block.BlockNode;
import org.fleece.block.BlockStatus;
import org.fleece.block.Permission;
import org.fleece.block.job.Job;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicReference;

/**
 * blockdev-backup: copies the source node to the target as it was when the
 * job started. Workers copy runs of clusters in parallel; a guest write to
 * a cluster not yet copied first copies it itself (copy-before-write, hooked
 * into the source node's write path), so the target gets the old data.
 * sync=none copies only what guest writes are about to overwrite, until
 * cancelled.
 */
public final class BackupJob extends Job {
    static final String BLOCKER = "block device is in use by block job: backup";

    private final BlockGraph graph;
    private final BlockNode source;
    private final BlockNode target;
    private final BackupOptions options;
    private final long length;
    private final CopyBitmap copy;
    private final BeforeWrite copyBeforeWrite = this::copyBeforeWrite;
    private BlockBackend sourceUser;
    private BlockBackend targetUser;

    public BackupJob(String id, BlockGraph graph, BlockNode source, BlockNode target, BackupOptions options,
                     long length, long clusterSize, Executor control) {
        super(id, options.autoFinalize(), options.autoDismiss(), control);
        this.graph = graph;
        this.source = source;
        this.target = target;
        this.options = options;
        this.length = length;
        this.copy = new CopyBitmap(clusterSize, length);
    }

    @Override
    public String type() {
        return "backup";
    }

    /**
     * Takes hold of both nodes with QEMU's permissions (on a conflict nothing
     * changes), then freezes the bitmap and starts intercepting writes.
     * Control thread, with the graph drained.
     */
    public void attach() {
        int sourcePerm = Permission.CONSISTENT_READ.bit() | (options.discardSource() ? Permission.WRITE.bit() : 0);
        sourceUser = graph.attachJob(source, id(), "main node", sourcePerm, Permission.ALL & ~Permission.RESIZE.bit());
        try {
            targetUser = graph.attachJob(target, id(), "target", Permission.WRITE.bit(),
                    Permission.ALL & ~Permission.RESIZE.bit());
        } catch (RuntimeException e) {
            sourceUser.detach();
            throw e;
        }
        target.block(BLOCKER);
        if (options.bitmap() != null) {
            options.bitmap().createSuccessor();
        }
        if (options.sync() == SyncMode.BITMAP) {
            options.bitmap().forEachDirtyRange(copy::set);
        } else {
            copy.set(0, length);
        }
        setTotal(copy.remainingBytes());
        source.addBeforeWrite(copyBeforeWrite);
    }

    @Override
    protected void run() throws IOException {
        if (options.sync() == SyncMode.NONE) {
            awaitCancel();
            return;
        }
        if (options.sync() == SyncMode.TOP) {
            skipUnallocated();
        }
        while (!isCancelled()) {
            copy.rewind();
            Failure failure = copyAll();
            if (failure == null || isCancelled()) {
                return;
            }
            String policy = failure.read ? options.onSourceError() : options.onTargetError();
            if (errorAction(policy, failure.read, failure.error) == ErrorAction.REPORT) {
                throw failure.error;
            }
            pausePoint();
        }
    }

    /** sync=top: clusters the source does not allocate itself are left to its backing. */
    private void skipUnallocated() throws IOException {
        for (long offset = 0; offset < length && !isCancelled(); ) {
            BlockStatus status = sourceUser.blockStatus(offset, length - offset);
            if (!status.allocated()) {
                copy.reset(offset, status.bytes());
            }
            offset += status.bytes();
        }
        setTotal(currentProgress() + copy.remainingBytes());
    }

    private record Failure(boolean read, IOException error) {
    }

    /** One pass of the workers over what is left; the first failure stops the pass. */
    private Failure copyAll() {
        AtomicReference<Failure> failure = new AtomicReference<>();
        List<Thread> workers = new ArrayList<>();
        int count = (int) Math.min(options.maxWorkers(), Math.max(1, copy.remainingBytes() / copy.clusterSize()));
        for (int i = 0; i < count; i++) {
            workers.add(Thread.ofVirtual().name(id() + "-worker-" + i).start(() -> worker(failure)));
        }
        for (Thread worker : workers) {
            try {
                worker.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        return failure.get();
    }

    private void worker(AtomicReference<Failure> failure) {
        ByteBuffer buffer = null;
        while (failure.get() == null && !isCancelled()) {
            int clusters = chunkClusters();
            throttle(clusters * copy.clusterSize());
            if (isCancelled()) {
                return;
            }
            long[] run = copy.claimNext(clusters);
            if (run == null) {
                return;
            }
            boolean zero = shrinkToStatus(run);
            long bytes = runBytes(run);
            if (buffer == null || buffer.capacity() < bytes) {
                buffer = ByteBuffer.allocateDirect((int) Math.max(bytes, Math.min(BackupOptions.MAX_BUFFER,
                        length)));
            }
            try {
                copyExtent(run[0] * copy.clusterSize(), bytes, zero, buffer);
            } catch (CopyException e) {
                copy.release(run[0], run[1], false);
                failure.compareAndSet(null, new Failure(e.read, e.error));
                return;
            }
            copy.release(run[0], run[1], true);
            finishRun(run);
        }
    }

    /**
     * Cuts a claimed run down to what one block status answer covers, whole
     * clusters (as QEMU's block-copy tasks): the run is then all zeroes or all
     * data, and it succeeds or fails as a whole. Returns whether it is zeroes.
     */
    private boolean shrinkToStatus(long[] run) {
        long cluster = copy.clusterSize();
        long offset = run[0] * cluster;
        long bytes = runBytes(run);
        BlockStatus status;
        try {
            status = sourceUser.blockStatus(offset, bytes);
        } catch (IOException e) {
            status = null;
        }
        if (status == null || status.bytes() < cluster) {
            if (run[1] > 1) {
                copy.shrink(run, 1);
            }
            return false;
        }
        long clusters = offset + status.bytes() >= length ? run[1] : status.bytes() / cluster;
        if (clusters < run[1]) {
            copy.shrink(run, clusters);
        }
        return status.zero();
    }

    /** Clusters per chunk: up to 1 MiB, or max-chunk. */
    private int chunkClusters() {
        long cluster = copy.clusterSize();
        long chunk = Math.max(cluster, BackupOptions.MAX_BUFFER);
        if (options.maxChunk() > 0) {
            chunk = Math.min(chunk, options.maxChunk());
        }
        return (int) Math.max(1, chunk / cluster);
    }

    private long runBytes(long[] run) {
        long offset = run[0] * copy.clusterSize();
        return Math.min(run[1] * copy.clusterSize(), length - offset);
    }

    private static final class CopyException extends Exception {
        private final boolean read;
        private final IOException error;

        CopyException(boolean read, IOException error) {
            super(error);
            this.read = read;
            this.error = error;
        }
    }

    /** Copies one claimed run: zero stretches as write-zeroes without reading them, the rest read and written. */
    private void copyRun(long[] run, ByteBuffer buffer) throws CopyException {
        long offset = run[0] * copy.clusterSize();
        long end = offset + runBytes(run);
        while (offset < end) {
            BlockStatus status;
            try {
                status = sourceUser.blockStatus(offset, end - offset);
            } catch (IOException e) {
                status = new BlockStatus(end - offset, true, false, true);
            }
            long bytes = Math.min(status.bytes(), end - offset);
            copyExtent(offset, bytes, status.zero(), buffer);
            offset += bytes;
        }
    }

    /** Zeroes are written as such, without reading them; data is read and written. */
    private void copyExtent(long offset, long bytes, boolean zero, ByteBuffer buffer) throws CopyException {
        if (zero) {
            try {
                targetUser.writeZeroes(offset, bytes, 0);
            } catch (IOException e) {
                throw new CopyException(false, e);
            }
            return;
        }
        buffer.clear().limit((int) bytes);
        try {
            sourceUser.read(offset, buffer);
        } catch (IOException e) {
            throw new CopyException(true, e);
        }
        buffer.flip();
        try {
            targetUser.write(offset, buffer, 0);
        } catch (IOException e) {
            throw new CopyException(false, e);
        }
    }

    /** A run is on the target: it counts, and with discard-source the source lets go of it. */
    private void finishRun(long[] run) {
        long bytes = runBytes(run);
        progress(bytes);
        if (options.discardSource()) {
            try {
                sourceUser.discard(run[0] * copy.clusterSize(), bytes);
            } catch (IOException e) {
                // As upstream QEMU: a failed discard costs space, not data; the backup goes on.
            }
        }
    }

    /** The guest's write waits until the clusters it touches have their old data on the target. */
    private void copyBeforeWrite(long offset, long bytes) throws IOException {
        try {
            List<long[]> runs;
            while (!(runs = copy.claimForWrite(offset, bytes)).isEmpty()) {
                for (long[] run : runs) {
                    ByteBuffer buffer = ByteBuffer.allocate((int) runBytes(run));
                    try {
                        copyRun(run, buffer);
                    } catch (CopyException e) {
                        copy.release(run[0], run[1], false);
                        throw e.error;
                    }
                    copy.release(run[0], run[1], true);
                    finishRun(run);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException();
        }
    }

    @Override
    protected void commit() {
        settleBitmap(true);
    }

    @Override
    protected void abort() {
        settleBitmap(false);
    }

    /**
     * QEMU's rules for the bitmap after a backup: synced (it keeps only the
     * writes made during the job) on success unless never, and on failure
     * with always, in which case what was not copied stays dirty too;
     * otherwise it keeps its bits plus the writes made during the job.
     */
    private void settleBitmap(boolean success) {
        var bitmap = options.bitmap();
        if (bitmap == null) {
            return;
        }
        BitmapMode mode = options.bitmapMode();
        boolean sync = (success || mode == BitmapMode.ALWAYS) && mode != BitmapMode.NEVER;
        graph.drainedAll(() -> {
            if (sync) {
                bitmap.abdicate();
            } else {
                bitmap.reclaim();
            }
            if (!success && mode == BitmapMode.ALWAYS) {
                copy.forEachRemaining(bitmap::setDirty);
            }
        });
    }

    /** Lets go of everything {@link #attach} took, for a job that never got to exist or to start. */
    public void release() {
        if (options.bitmap() != null) {
            options.bitmap().reclaim();
        }
        clean();
    }

    @Override
    protected void clean() {
        source.removeBeforeWrite(copyBeforeWrite);
        target.unblock();
        targetUser.detach();
        sourceUser.detach();
    }
}
