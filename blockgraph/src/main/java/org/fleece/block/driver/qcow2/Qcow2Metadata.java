package org.fleece.block.driver.qcow2;

import java.io.IOException;
import java.util.concurrent.locks.ReentrantLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.LongUnaryOperator;

/**
 * An open image's metadata and the order in which it reaches the disk.
 * <p>
 * The order: a cluster's refcount is durable before an L2 table pointing to
 * it is written (the L2 cache syncs refcounts before writing back); new
 * tables (L2, L1, refcount blocks and table) are complete on disk before
 * anything points to them; a cluster's refcount drops only after the L2
 * tables that stopped using it are durable. So a crash at any point leaves
 * at worst leaked clusters.
 * <p>
 * Requests hold {@link #enterIo()} while they use a mapping they looked up;
 * freed clusters are handed back to the allocator only when every request
 * that could still use them has left, so a slow read never sees a cluster
 * reused by somebody else.
 */
final class Qcow2Metadata {
    private final ReentrantLock lock = new ReentrantLock();
    private final ReentrantReadWriteLock ioGate = new ReentrantReadWriteLock();
    private final Qcow2File io;
    private final Refcounts refcounts;
    private final ClusterTables tables;
    private final int clusterBits;
    private final int clusterSize;
    private final boolean writable;
    private final Thread cleaner;

    private Qcow2Metadata(Qcow2File io, Qcow2Header header, Qcow2Options options, boolean writable)
            throws IOException {
        this.io = io;
        this.clusterBits = header.clusterBits();
        this.clusterSize = header.clusterSize();
        this.writable = writable;
        this.refcounts = new Refcounts(io, header, header.refcountTableOffset(), header.refcountTableClusters(),
                options.refcountCacheTables(), options.passDiscard());
        this.tables = new ClusterTables(io, refcounts, header, options.l2CacheTables());
        this.cleaner = options.cacheCleanInterval() > 0
                ? Thread.ofVirtual().name("qcow2-cache-clean").start(() -> clean(options.cacheCleanInterval()))
                : null;
    }

    static Qcow2Metadata open(Qcow2File io, Qcow2Header header, Qcow2Options options, boolean writable)
            throws IOException {
        return new Qcow2Metadata(io, header, options, writable);
    }

    /** Repairs the refcounts of an image left dirty (see {@link RefcountRepair}), before any request runs. */
    void repairRefcounts(Qcow2Header header) throws IOException {
        lock.lock();
        try {
            RefcountRepair.repair(io, header, refcounts);
        } finally {
            lock.unlock();
        }
    }

    /** cache-clean-interval: tables unused for a whole interval leave the caches. */
    private void clean(long seconds) {
        try {
            while (true) {
                Thread.sleep(seconds * 1000);
                lock.lock();
                try {
                    tables.dropUnused();
                    refcounts.dropUnused();
                } finally {
                    lock.unlock();
                }
            }
        } catch (InterruptedException e) {
            // closed
        }
    }

    Qcow2File file() {
        return io;
    }

    int l2Entries() {
        return tables.l2Entries();
    }

    int clustersLeftInTable(long cluster) {
        return tables.clustersLeftInTable(cluster);
    }

    void enterIo() {
        ioGate.readLock().lock();
    }

    void leaveIo() {
        ioGate.readLock().unlock();
    }

    /** The L2 entries of {@code count} guest clusters from {@code cluster}, across L2 tables if need be. */
    void entries(long cluster, int count, long[] entries) throws IOException {
        lock.lock();
        try {
            tables.entries(cluster, count, entries);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Host clusters a write allocated: {@code count} from {@code offset};
     * {@code zeroed} when they lie past the end of the file, where nothing
     * was ever written, so they read as zeroes without being written.
     */
    record HostRun(long offset, int count, boolean zeroed) {
    }

    /**
     * Before a job writes {@code count} guest clusters from {@code cluster}:
     * the refcount blocks and L2 tables those writes will need are made now,
     * in a few syncs. Made one at a time during the copy, each would sync
     * (their order on disk matters) while the copied data waits in the page
     * cache, and every such sync writes all of that data out first.
     */
    void prepareWrites(long cluster, long count) throws IOException {
        lock.lock();
        try {
            long needed = tables.clustersToAllocate(cluster, count);
            if (needed > 0) {
                refcounts.reserve(needed);
                tables.makeTables(cluster, count);
            }
        } finally {
            lock.unlock();
        }
    }

    /** Up to {@code count} free contiguous host clusters, at least one. */
    HostRun allocate(int count) throws IOException {
        lock.lock();
        try {
            Refcounts.Allocation allocation = refcounts.allocate(count);
            // Exact under the lock: whoever grows the file past these clusters allocates after us.
            return new HostRun(allocation.offset(), allocation.count(), allocation.offset() >= io.length());
        } finally {
            lock.unlock();
        }
    }

    /** Points guest clusters at the host clusters from {@code host} on, freeing what they used before. */
    void link(long cluster, int count, long host, long[] old) throws IOException {
        lock.lock();
        try {
            for (int i = 0; i < count; i++) {
                tables.set(cluster + i, (host + ((long) i << clusterBits)) | L2Entry.COPIED);
                free(old[i], Refcounts.DiscardType.NEVER);
            }
        } finally {
            lock.unlock();
        }
    }

    /** Replaces each L2 entry by {@code change} of it, freeing host clusters an entry lets go of. */
    void rewrite(long cluster, int count, LongUnaryOperator change, Refcounts.DiscardType why) throws IOException {
        lock.lock();
        try {
            for (int i = 0; i < count; i++) {
                long old = tables.entry(cluster + i);
                long now = change.applyAsLong(old);
                if (now == old) {
                    continue;
                }
                tables.set(cluster + i, now);
                boolean compressed = (old & L2Entry.COMPRESSED) != 0;
                if (compressed || L2Entry.offset(old) != L2Entry.offset(now)) {
                    free(old, why);
                }
            }
        } finally {
            lock.unlock();
        }
    }

    private void free(long entry, Refcounts.DiscardType why) {
        if ((entry & L2Entry.COMPRESSED) != 0) {
            long offset = L2Entry.compressedOffset(entry, clusterBits);
            int length = L2Entry.compressedLength(entry, clusterBits);
            refcounts.freeLater(offset & ~511L, (offset & 511) + length, why);
        } else if (L2Entry.offset(entry) != 0) {
            refcounts.freeLater(L2Entry.offset(entry), clusterSize, why);
        }
    }

    /** Exactly {@code clusters} fresh contiguous clusters, for metadata that must not be split (tables, directories). */
    long allocateClusters(int clusters) throws IOException {
        lock.lock();
        try {
            return refcounts.allocateContiguous(clusters);
        } finally {
            lock.unlock();
        }
    }

    /** Frees the clusters of a byte range at the next flush: the caller made sure nothing on disk points there. */
    void freeLater(long offset, long bytes, Refcounts.DiscardType why) {
        lock.lock();
        try {
            refcounts.freeLater(offset, bytes, why);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Writes the cached tables and refcounts and syncs (QEMU's
     * qcow2_flush_caches): what new metadata relies on is on disk before
     * anything points to it. Frees wait for a full {@link #flush}.
     */
    void flushCaches() throws IOException {
        lock.lock();
        try {
            tables.writeBack();
            refcounts.writeBack();
            io.sync();
        } finally {
            lock.unlock();
        }
    }

    /** Metadata written in place by {@link #update}. */
    interface Update {
        void write() throws IOException;
    }

    /** An in-place metadata update (header fields, the bitmap directory), alone under the lock, then synced. */
    void update(Update update) throws IOException {
        lock.lock();
        try {
            update.write();
            io.sync();
        } finally {
            lock.unlock();
        }
    }

    /** The header's size field and an L1 table long enough for it. */
    void resize(long size) throws IOException {
        lock.lock();
        try {
            long clusters = (size + clusterSize - 1) >>> clusterBits;
            tables.growL1((int) ((clusters + tables.l2Entries() - 1) / tables.l2Entries()));
            io.writeSize(size);
            io.sync();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Makes every metadata change so far durable in order (refcounts, then
     * L2 tables), then returns the clusters freed before this point to the
     * allocator once the requests that might still use them are done.
     */
    void flush() throws IOException {
        if (!writable) {
            io.sync();
            return;
        }
        lock.lock();
        try {
            tables.writeBack();
            refcounts.writeBack();
            io.sync();
            refcounts.tablesDurable();
        } finally {
            lock.unlock();
        }
        ioGate.writeLock().lock();
        ioGate.writeLock().unlock();
        lock.lock();
        try {
            refcounts.applyFrees();
        } finally {
            lock.unlock();
        }
    }

    void close() throws IOException {
        if (cleaner != null) {
            cleaner.interrupt();
        }
        io.closing();
        if (writable) {
            flush();
            lock.lock();
            try {
                refcounts.writeBack();
                io.sync();
            } finally {
                lock.unlock();
            }
        }
    }
}
