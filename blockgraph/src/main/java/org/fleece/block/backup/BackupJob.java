package org.fleece.block.backup;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.fleece.block.BlockBackend;
import org.fleece.block.BlockGraph;
import org.fleece.block.BlockNode;
import org.fleece.block.BlockStatus;
import org.fleece.block.Permission;
import org.fleece.block.copy.BlockCopy;
import org.fleece.block.copy.CopyBitmap;
import org.fleece.block.copy.CopyException;
import org.fleece.block.driver.cbw.CopyBeforeWriteDriver;
import org.fleece.block.job.Job;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicReference;

/**
 * blockdev-backup: copies the source node to the target as it was when the
 * job started. A copy-before-write filter goes in above the source for the
 * job's life (named by filter-node-name, or generated), so a guest write to
 * a cluster not yet copied first copies it itself; the job's workers copy
 * runs of clusters in parallel through the filter's {@link BlockCopy}, so
 * nobody copies a cluster twice. sync=none copies only what guest writes are
 * about to overwrite, until cancelled.
 */
public final class BackupJob extends Job {
    static final String BLOCKER = "block device is in use by block job: backup";

    private final BlockGraph graph;
    private final BlockNode source;
    private final BlockNode target;
    private final BackupOptions options;
    private final long length;
    private final long clusterSize;
    private final String filterNodeName;
    private BlockNode filter;
    private BlockCopy blockCopy;
    private CopyBitmap copy;
    private BlockBackend sourceUser;
    private BlockBackend targetUser;

    /** @param filterNodeName the filter's name, or null for a generated one */
    public BackupJob(String id, BlockGraph graph, BlockNode source, BlockNode target, BackupOptions options,
                     long length, long clusterSize, String filterNodeName, Executor control) {
        super(id, options.autoFinalize(), options.autoDismiss(), control);
        this.graph = graph;
        this.source = source;
        this.target = target;
        this.options = options;
        this.length = length;
        this.clusterSize = clusterSize;
        this.filterNodeName = filterNodeName;
    }

    @Override
    public String type() {
        return "backup";
    }

    /**
     * Puts the filter in above the source and takes hold of both nodes with
     * QEMU's permissions (on a conflict nothing changes), then freezes the
     * bitmap. Control thread, with the graph drained.
     */
    public void attach() {
        ObjectNode filterOptions = JsonNodeFactory.instance.objectNode().put("driver", "copy-before-write");
        if (filterNodeName != null) {
            filterOptions.put("node-name", filterNodeName);
        }
        filterOptions.put("file", source.name()).put("target", target.name()).put("min-cluster-size", clusterSize);
        filter = graph.insertFilter(filterOptions, source,
                driver -> ((CopyBeforeWriteDriver) driver).setDiscardSource(options.discardSource()));
        blockCopy = ((CopyBeforeWriteDriver) filter.driver()).blockCopy();
        copy = blockCopy.bitmap();
        // As in QEMU the job itself needs nothing of its nodes: the filter reads and writes for it.
        try {
            sourceUser = graph.attachJob(filter, id(), "main node", 0, Permission.ALL);
            try {
                targetUser = graph.attachJob(target, id(), "target", 0, Permission.ALL);
            } catch (RuntimeException e) {
                sourceUser.detach();
                throw e;
            }
        } catch (RuntimeException e) {
            graph.removeFilter(filter);
            throw e;
        }
        target.block(BLOCKER);
        if (options.bitmap() != null) {
            options.bitmap().createSuccessor();
        }
        if (options.sync() == SyncMode.BITMAP) {
            copy.reset(0, length + clusterSize);
            options.bitmap().forEachDirtyRange(copy::set);
        }
        setTotal(copy.remainingBytes());
        blockCopy.setListener(this::copied);
        blockCopy.setOffload(options.useCopyRange());
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
        prepareTarget();
        while (!isCancelled()) {
            copy.rewind();
            Failure failure = copyAll();
            if (failure == null || isCancelled()) {
                return;
            }
            if (failure.fatal()) {
                throw failure.error();
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
            BlockStatus status = blockCopy.source().blockStatus(offset, length - offset);
            if (!status.allocated()) {
                copy.reset(offset, status.bytes());
            }
            offset += status.bytes();
        }
        setTotal(currentProgress() + copy.remainingBytes());
    }

    /**
     * Tells the target where the copy will write data (the source's data in
     * what is left to copy), so that a format makes the metadata for all of
     * it before the copy starts: see {@link org.fleece.block.BlockDriver#prepareWrites}.
     */
    private void prepareTarget() {
        List<long[]> ranges = new ArrayList<>();
        copy.forEachRemaining((offset, bytes) -> ranges.add(new long[] {offset, Math.min(bytes, length - offset)}));
        try {
            for (long[] range : ranges) {
                long end = range[0] + range[1];
                for (long offset = range[0]; offset < end && !isCancelled(); ) {
                    BlockStatus status = blockCopy.source().blockStatus(offset, end - offset);
                    if (status.data() && !status.zero()) {
                        blockCopy.prepareTarget(offset, status.bytes());
                    }
                    offset += status.bytes();
                }
            }
        } catch (IOException e) {
            // Only a hint: the copy meets the same error where it writes, and on-target-error decides then.
        }
    }

    /** @param fatal a bug rather than an I/O error: no policy lets the job go on */
    private record Failure(boolean read, IOException error, boolean fatal) {
    }

    /** One pass of the workers over what is left; the first failure stops the pass. */
    private Failure copyAll() {
        AtomicReference<Failure> failure = new AtomicReference<>();
        List<Thread> workers = new ArrayList<>();
        int count = (int) Math.min(blockCopy.usefulWorkers(options.maxWorkers()), Math.max(1, copy.remainingBytes() / copy.clusterSize()));
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
            pausePoint();
            long[] run = copy.claimNext(chunkClusters());
            if (run == null) {
                return;
            }
            boolean zero = shrinkToStatus(run);
            long bytes = runBytes(run);
            long delay = reserveSpeed(bytes);
            if (delay > 0) {
                // Give the run back while waiting, so guest writes to it copy it themselves meanwhile.
                copy.shrink(run, 0);
                awaitSpeed(delay);
                continue;
            }
            if (buffer == null) {
                buffer = ByteBuffer.allocateDirect((int) Math.min(BackupOptions.MAX_BUFFER, length));
            }
            try {
                blockCopy.copyExtent(run[0] * copy.clusterSize(), bytes, zero, buffer);
            } catch (CopyException e) {
                copy.release(run[0], run[1], false);
                failure.compareAndSet(null, new Failure(e.read(), e.error(), false));
                return;
            } catch (RuntimeException e) {
                // A bug, not an I/O error: the job fails with it whatever the error policies say.
                copy.release(run[0], run[1], false);
                failure.compareAndSet(null, new Failure(false, new IOException("Internal error: " + e, e), true));
                return;
            }
            blockCopy.finish(run);
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
            status = blockCopy.source().blockStatus(offset, bytes);
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

    /**
     * Clusters per chunk: up to MAX_CHUNK, or max-chunk. Under a speed limit
     * long runs gain nothing and make guest writes wait longer: 1 MiB then.
     */
    private int chunkClusters() {
        long cluster = copy.clusterSize();
        long chunk = Math.max(cluster, speed() > 0 ? BackupOptions.MAX_BUFFER : BackupOptions.MAX_CHUNK);
        if (options.maxChunk() > 0) {
            chunk = Math.min(chunk, options.maxChunk());
        }
        return (int) Math.max(1, chunk / cluster);
    }

    private long runBytes(long[] run) {
        return blockCopy.runBytes(run);
    }

    /** A run reached the target, by a worker or a guest write: it counts, and with discard-source the source lets go of it. */
    private void copied(long offset, long bytes) {
        progress(bytes);
        if (options.discardSource()) {
            try {
                blockCopy.source().discard(offset, bytes);
            } catch (IOException e) {
                // As upstream QEMU: a failed discard costs space, not data; the backup goes on.
            }
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
        target.unblock();
        targetUser.detach();
        sourceUser.detach();
        graph.removeFilter(filter);
    }
}
