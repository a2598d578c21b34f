package org.fleece.transactions.backup;

import com.fasterxml.jackson.databind.JsonNode;
import org.fleece.block.BlockGraph;
import org.fleece.block.BlockNode;
import org.fleece.block.Errno;
import org.fleece.block.backup.BackupJob;
import org.fleece.block.backup.BackupOptions;
import org.fleece.block.backup.BitmapMode;
import org.fleece.block.backup.SyncMode;
import org.fleece.block.bitmap.DirtyBitmap;
import org.fleece.block.job.JobManager;
import org.fleece.block.job.JobTxn;
import org.fleece.qapi.QmpError;
import org.fleece.transactions.Action;
import org.fleece.transactions.bitmap.BitmapLookup;

import java.io.IOException;
import java.util.concurrent.Executor;

/**
 * blockdev-backup, alone or in a transaction: prepare checks the arguments
 * with QEMU 7.2's rules in QEMU's order and creates the job (created), which
 * already holds its nodes and intercepts writes; commit starts it; a
 * transaction that fails cancels it before it ever ran (aborting, concluded,
 * null). The transaction runs drained, so a started job is paused until the
 * drained section ends ({@link JobManager#drainEnd}).
 */
public final class BackupAction implements Action {
    private final BlockGraph graph;
    private final JobManager jobs;
    private final Executor control;
    private final JsonNode data;
    private final JobTxn txn;
    private BackupJob job;

    /** @param txn the shared transaction of completion-mode=grouped, or null for a job on its own */
    public BackupAction(BlockGraph graph, JobManager jobs, Executor control, JsonNode data, JobTxn txn) {
        this.graph = graph;
        this.jobs = jobs;
        this.control = control;
        this.data = data;
        this.txn = txn;
    }

    @Override
    public void prepare() {
        BlockNode source = lookup(data.get("device").asText());
        BlockNode target = lookup(data.get("target").asText());
        String syncName = data.get("sync").asText();
        boolean hasBitmap = data.has("bitmap");
        BitmapMode mode = data.has("bitmap-mode") ? BitmapMode.of(data.get("bitmap-mode").asText()) : null;
        if ((syncName.equals("bitmap") || syncName.equals("incremental")) && !hasBitmap) {
            throw QmpError.generic("must provide a valid bitmap name for '" + syncName + "' sync mode");
        }
        SyncMode sync;
        if (syncName.equals("incremental")) {
            if (mode != null && mode != BitmapMode.ON_SUCCESS) {
                throw QmpError.generic("Bitmap sync mode must be 'on-success' when using sync mode 'incremental'");
            }
            mode = BitmapMode.ON_SUCCESS;
            sync = SyncMode.BITMAP;
        } else {
            sync = SyncMode.valueOf(syncName.toUpperCase());
        }
        DirtyBitmap bitmap = null;
        if (hasBitmap) {
            String name = data.get("bitmap").asText();
            bitmap = source.bitmaps().find(name);
            if (bitmap == null) {
                throw QmpError.generic("Bitmap '" + name + "' could not be found");
            }
            if (mode == null) {
                throw QmpError.generic("Bitmap sync mode must be given when providing a bitmap");
            }
            BitmapLookup.usable(bitmap);
            if (sync == SyncMode.NONE) {
                throw QmpError.generic("sync mode 'none' does not produce meaningful bitmap outputs");
            }
            if (mode == BitmapMode.NEVER && sync != SyncMode.BITMAP) {
                throw QmpError.generic("Bitmap sync mode 'never' has no meaningful effect when combined with sync mode '"
                        + syncName + "'");
            }
        } else if (mode != null) {
            throw QmpError.generic("Cannot specify bitmap sync mode without a bitmap");
        }
        if (source == target) {
            throw QmpError.generic("Source and target cannot be the same");
        }
        if (data.path("compress").asBoolean(false)) {
            // No Fleece driver writes compressed clusters; QEMU names the target's device, which a node lacks.
            throw QmpError.generic("Compression is not supported for this drive ");
        }
        for (BlockNode node : new BlockNode[] {source, target}) {
            if (node.blocker() != null) {
                throw QmpError.generic("Node '" + node.name() + "' is busy: " + node.blocker());
            }
        }
        JsonNode perf = data.path("x-perf");
        long maxWorkers = perf.path("max-workers").asLong(64);
        long maxChunk = perf.path("max-chunk").asLong(0);
        if (maxWorkers < 1 || maxWorkers > Integer.MAX_VALUE) {
            throw QmpError.generic("max-workers must be between 1 and 2147483647");
        }
        if (maxChunk < 0) {
            throw QmpError.generic("max-chunk must be zero (which means no limit) or positive");
        }
        if (bitmap != null && mode != BitmapMode.NEVER) {
            BitmapLookup.modifiable(bitmap);
        }
        long length = length(source);
        if (length != length(target)) {
            throw QmpError.generic("Source and target image have different sizes");
        }
        if (data.has("filter-node-name")) {
            try {
                graph.checkNewNodeName(data.get("filter-node-name").asText());
            } catch (QmpError e) {
                throw QmpError.generic("Could not create node: " + e.desc());
            }
        }
        long clusterSize = clusterSize(target, source, perf, data.path("discard-source").asBoolean(false));
        if (maxChunk != 0 && maxChunk < clusterSize) {
            throw QmpError.generic("Required max-chunk (" + maxChunk + ") is less than backup cluster size ("
                    + clusterSize + ")");
        }
        // QEMU defaults use-copy-range to false; Fleece offloads unless told not to: copy_file_range between
        // host files is the fastest copy here (near cp's speed) and its result is the same bytes.
        BackupOptions options = new BackupOptions(sync, bitmap, mode,
                data.path("on-source-error").asText("report"), data.path("on-target-error").asText("report"),
                (int) maxWorkers, maxChunk, perf.path("use-copy-range").asBoolean(true),
                data.path("discard-source").asBoolean(false), data.path("auto-finalize").asBoolean(true),
                data.path("auto-dismiss").asBoolean(true));
        // Without job-id QEMU takes the device's BlockBackend name, which a node does not have.
        String id = data.path("job-id").asText("");
        String filterNodeName = data.has("filter-node-name") ? data.get("filter-node-name").asText() : null;
        BackupJob created = new BackupJob(id, graph, source, target, options, length, clusterSize, filterNodeName,
                control);
        created.attach();
        try {
            jobs.register(created, txn);
        } catch (RuntimeException e) {
            created.release();
            throw e;
        }
        try {
            created.applySpeed(data.path("speed").asLong(0));
        } catch (RuntimeException e) {
            created.release();
            created.earlyFail();
            throw e;
        }
        job = created;
    }

    /**
     * QEMU's block-copy cluster size: the target's clusters, at least 64 KiB,
     * at least upstream's x-perf min-cluster-size; with discard-source also
     * the unit in which the source frees space (a fleecing image's clusters),
     * so that each discard frees what it copied.
     */
    private static long clusterSize(BlockNode target, BlockNode source, JsonNode perf, boolean discardSource) {
        long size = Math.max(BackupOptions.DEFAULT_CLUSTER_SIZE, target.driver().clusterSize());
        size = Math.max(size, perf.path("min-cluster-size").asLong(0));
        if (discardSource) {
            size = Math.max(size, source.driver().discardGranularity());
        }
        return size;
    }

    private BlockNode lookup(String name) {
        BlockNode node = graph.find(name);
        if (node == null) {
            throw QmpError.generic("Cannot find device='" + name + "' nor node-name='" + name + "'");
        }
        return node;
    }

    private static long length(BlockNode node) {
        try {
            return node.length();
        } catch (IOException e) {
            throw QmpError.generic("Cannot get length of '" + node.name() + "': " + Errno.describe(e));
        }
    }

    @Override
    public void commit() {
        jobs.startDrained(job);
    }

    @Override
    public void abort() {
        job.cancel(true);
    }
}
