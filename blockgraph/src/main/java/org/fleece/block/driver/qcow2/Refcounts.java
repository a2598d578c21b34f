package org.fleece.block.driver.qcow2;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * The reference counts of host clusters: the refcount table (kept in memory,
 * written through) and the refcount blocks it points to (cached, written
 * back). Also the cluster allocator, since finding free clusters means
 * reading refcounts. Guarded by the driver's metadata lock.
 * <p>
 * Crash safety rests on two rules kept here: a new refcount block or table
 * is complete on disk before anything points to it, and a cluster's refcount
 * only drops once no table on disk references it any more ({@link #freeLater}:
 * frees wait until the L2 tables are durable, then {@link #applyFrees}).
 */
final class Refcounts {
    /**
     * Why a cluster is freed: which pass-discard-* option decides whether the
     * file hears of it (ALWAYS: bitmap data, which QEMU always discards).
     */
    enum DiscardType { NEVER, REQUEST, SNAPSHOT, OTHER, ALWAYS }

    private record PendingFree(long offset, long bytes, DiscardType type) {
    }

    private final Qcow2File io;
    private final int clusterBits;
    private final int clusterSize;
    private final int refcountOrder;
    /** Refcount entries in one block. */
    private final long perBlock;
    private final MetadataCache blocks;
    private final boolean[] passDiscard;
    private long[] table;
    private long tableOffset;
    /** No cluster below this index is free. */
    private long freeHint;
    /** Frees whose tables may not be durable yet. */
    private final List<PendingFree> pending = new ArrayList<>();
    /** Frees whose tables are durable; applied once no request still uses the old mapping. */
    private final List<PendingFree> ready = new ArrayList<>();

    Refcounts(Qcow2File io, Qcow2Header header, long tableOffset, int tableClusters, int cacheTables,
              boolean[] passDiscard) throws IOException {
        this.io = io;
        this.clusterBits = header.clusterBits();
        this.clusterSize = header.clusterSize();
        this.refcountOrder = header.refcountOrder();
        this.perBlock = (long) clusterSize * 8 >> refcountOrder;
        this.passDiscard = passDiscard;
        this.tableOffset = tableOffset;
        ByteBuffer raw = io.readMetadata(tableOffset, tableClusters * clusterSize);
        this.table = new long[tableClusters * clusterSize / 8];
        raw.asLongBuffer().get(table);
        this.blocks = new MetadataCache(cacheTables, new MetadataCache.Store() {
            @Override
            public ByteBuffer read(long offset) throws IOException {
                return io.readMetadata(offset, clusterSize);
            }

            @Override
            public void beforeWrite() {
            }

            @Override
            public void write(long offset, ByteBuffer block) throws IOException {
                io.writeMetadata(offset, block);
            }
        });
    }

    long tableOffset() {
        return tableOffset;
    }

    int tableClusters() {
        return table.length * 8 / clusterSize;
    }

    boolean dirty() {
        return blocks.isDirty();
    }

    /** Writes the dirty refcount blocks (not yet durable: the caller syncs). */
    void writeBack() throws IOException {
        blocks.flush();
    }

    void dropUnused() {
        blocks.dropUnused();
    }

    long get(long cluster) throws IOException {
        long index = cluster / perBlock;
        if (index >= table.length || (table[(int) index] & L2Entry.OFFSET_MASK) == 0) {
            return 0;
        }
        return read(blocks.get(table[(int) index] & L2Entry.OFFSET_MASK), (int) (cluster % perBlock));
    }

    private long read(ByteBuffer block, int i) {
        return switch (refcountOrder) {
            case 0, 1, 2 -> {
                int bits = 1 << refcountOrder;
                int perByte = 8 / bits;
                yield (block.get(i / perByte) >>> (i % perByte * bits)) & ((1 << bits) - 1);
            }
            case 3 -> block.get(i) & 0xffL;
            case 4 -> block.getShort(i * 2) & 0xffffL;
            case 5 -> block.getInt(i * 4) & 0xffffffffL;
            default -> block.getLong(i * 8);
        };
    }

    private void write(ByteBuffer block, int i, long value) {
        put(block, i, refcountOrder, value);
    }

    /** Sets entry {@code i} of a refcount block whose entries are 2^order bits wide. */
    static void put(ByteBuffer block, int i, int refcountOrder, long value) {
        switch (refcountOrder) {
            case 0, 1, 2 -> {
                int bits = 1 << refcountOrder;
                int perByte = 8 / bits;
                int shift = i % perByte * bits;
                int mask = ((1 << bits) - 1) << shift;
                int old = block.get(i / perByte);
                block.put(i / perByte, (byte) ((old & ~mask) | ((int) value << shift & mask)));
            }
            case 3 -> block.put(i, (byte) value);
            case 4 -> block.putShort(i * 2, (short) value);
            case 5 -> block.putInt(i * 4, (int) value);
            default -> block.putLong(i * 8, value);
        }
    }

    private long maxRefcount() {
        return refcountOrder == 6 ? Long.MAX_VALUE : (1L << (1 << refcountOrder)) - 1;
    }

    /** Adds to a covered cluster's refcount (the cluster must have a refcount block). */
    void update(long cluster, long addend) throws IOException {
        long blockOffset = table[(int) (cluster / perBlock)] & L2Entry.OFFSET_MASK;
        ByteBuffer block = blocks.get(blockOffset);
        int i = (int) (cluster % perBlock);
        long value = read(block, i) + addend;
        if (value < 0 || Long.compareUnsigned(value, maxRefcount()) > 0) {
            throw new IOException("qcow2: refcount overflow or underflow at cluster " + cluster);
        }
        write(block, i, value);
        blocks.markDirty(blockOffset);
    }

    /** Sets a cluster's refcount outright (the repair of a dirty image); the cluster must have a refcount block. */
    void set(long cluster, long value) throws IOException {
        if (!isCovered(cluster)) {
            throw new IOException("cluster " + cluster + " is in use but has no refcount block");
        }
        if (Long.compareUnsigned(value, maxRefcount()) > 0) {
            throw new IOException("cluster " + cluster + " has more references than its refcount can hold");
        }
        long blockOffset = table[(int) (cluster / perBlock)] & L2Entry.OFFSET_MASK;
        write(blocks.get(blockOffset), (int) (cluster % perBlock), value);
        blocks.markDirty(blockOffset);
    }

    /** The refcount blocks the table names. */
    List<Long> blockOffsets() {
        List<Long> offsets = new ArrayList<>();
        for (long entry : table) {
            if ((entry & L2Entry.OFFSET_MASK) != 0) {
                offsets.add(entry & L2Entry.OFFSET_MASK);
            }
        }
        return offsets;
    }

    /** Host clusters handed out by {@link #allocate}: {@code count} of them from {@code offset}. */
    record Allocation(long offset, int count) {
    }

    /**
     * Allocates up to {@code max} contiguous free clusters (at least one)
     * with refcount 1. Refcount blocks (and a larger refcount table) are made
     * as needed, durable before they are used; a run stops where its
     * refcounts would need a block that does not exist yet.
     */
    Allocation allocate(int max) throws IOException {
        while (true) {
            long start = findFree(1);
            if (!covered(start)) {
                continue;
            }
            int count = 1;
            while (count < max && get(start + count) == 0 && isCovered(start + count)) {
                count++;
            }
            for (long c = start; c < start + count; c++) {
                update(c, 1);
            }
            freeHint = start + count;
            return new Allocation(start << clusterBits, count);
        }
    }

    /**
     * Exactly {@code count} contiguous clusters (new L1 tables must be
     * contiguous). Blocks needed on the way are placed at the start of what
     * they cover, so a run shorter than one block's reach always fits.
     */
    long allocateContiguous(int count) throws IOException {
        while (true) {
            long start = findFree(count);
            boolean ready = true;
            for (long c = start; c < start + count && ready; c++) {
                ready = covered(c) && get(c) == 0;
            }
            if (ready) {
                for (long c = start; c < start + count; c++) {
                    update(c, 1);
                }
                if (start == freeHint) {
                    freeHint = start + count;
                }
                return start << clusterBits;
            }
        }
    }

    /**
     * Makes the refcount blocks that the next {@code clusters} allocations
     * will need, all with two syncs: each block sits in a cluster that the
     * blocks already there describe, so the file does not jump ahead to
     * where a block would otherwise sit (at the first cluster it covers).
     */
    void reserve(long clusters) throws IOException {
        while (!covered(freeHint)) {
            // The block (or table) where allocation goes on next: made the usual way.
        }
        long firstIndex = freeHint / perBlock + 1;
        long lastIndex = (freeHint + clusters - 1) / perBlock;
        List<Long> missing = new ArrayList<>();
        for (long index = firstIndex; index <= lastIndex; index++) {
            if (index >= table.length) {
                // Past the table's reach (16 TiB of host file at 64 KiB clusters): the allocations grow it when they get there.
                break;
            }
            if ((table[(int) index] & L2Entry.OFFSET_MASK) == 0) {
                missing.add(index);
            }
        }
        if (missing.isEmpty()) {
            return;
        }
        long[] offsets = new long[missing.size()];
        for (int k = 0; k < offsets.length; k++) {
            offsets[k] = allocate(1).offset();
            io.writeMetadata(offsets[k], ByteBuffer.allocate(clusterSize));
        }
        writeBack();
        io.sync();
        for (int k = 0; k < offsets.length; k++) {
            long index = missing.get(k);
            table[(int) index] = offsets[k];
            io.writeMetadata(tableOffset + index * 8, ByteBuffer.allocate(8).putLong(0, offsets[k]));
        }
        io.sync();
    }

    private boolean isCovered(long cluster) {
        long index = cluster / perBlock;
        return index < table.length && (table[(int) index] & L2Entry.OFFSET_MASK) != 0;
    }

    /**
     * Gives the cluster a refcount block if it has none; false when that
     * took the cluster itself (or moved the table), so the caller looks again.
     */
    private boolean covered(long cluster) throws IOException {
        long index = cluster / perBlock;
        if (index >= table.length) {
            growTable(index);
            return false;
        }
        if ((table[(int) index] & L2Entry.OFFSET_MASK) == 0) {
            long blockCluster = index * perBlock;
            newBlock(index, blockCluster);
            return blockCluster != cluster;
        }
        return true;
    }

    private long findFree(int count) throws IOException {
        long start = freeHint;
        long run = 0;
        for (long c = freeHint; ; c++) {
            if (get(c) != 0) {
                start = c + 1;
                run = 0;
                continue;
            }
            if (++run == count) {
                return start;
            }
        }
    }

    /** A refcount block at the first cluster it covers, counting itself, made durable before the table names it. */
    private void newBlock(long index, long blockCluster) throws IOException {
        ByteBuffer block = ByteBuffer.allocate(clusterSize).order(ByteOrder.BIG_ENDIAN);
        write(block, 0, 1);
        io.writeMetadata(blockCluster << clusterBits, block.duplicate());
        io.sync();
        table[(int) index] = blockCluster << clusterBits;
        ByteBuffer entry = ByteBuffer.allocate(8).putLong(0, blockCluster << clusterBits);
        io.writeMetadata(tableOffset + index * 8, entry);
        io.sync();
    }

    /**
     * A larger refcount table, placed past every cluster the old table could
     * describe (all free), with new refcount blocks right after it for itself
     * and them; the header switches to it in one write, then the old table is freed.
     */
    private void growTable(long neededIndex) throws IOException {
        int oldEntries = table.length;
        long start = (long) oldEntries * perBlock;
        long entriesPerCluster = clusterSize / 8;
        long newEntries = Math.max(neededIndex + 1, oldEntries + oldEntries / 2 + 1);
        long tableClusters;
        long blockCount;
        while (true) {
            tableClusters = (newEntries + entriesPerCluster - 1) / entriesPerCluster;
            long firstIndex = start / perBlock;
            blockCount = 0;
            long lastIndex;
            do {
                blockCount++;
                lastIndex = (start + tableClusters + blockCount - 1) / perBlock;
            } while (lastIndex - firstIndex + 1 > blockCount);
            blockCount = lastIndex - firstIndex + 1;
            if (lastIndex < newEntries) {
                break;
            }
            newEntries = lastIndex + 1;
        }
        newEntries = tableClusters * entriesPerCluster;
        if (newEntries * 8 > Qcow2Header.MAX_REFTABLE_SIZE) {
            throw new IOException("qcow2: refcount table too large");
        }
        long[] newTable = java.util.Arrays.copyOf(table, (int) newEntries);
        long firstIndex = start / perBlock;
        long blocksStart = start + tableClusters;
        long used = tableClusters + blockCount;
        for (long i = 0; i < blockCount; i++) {
            ByteBuffer block = ByteBuffer.allocate(clusterSize).order(ByteOrder.BIG_ENDIAN);
            long covered = (firstIndex + i) * perBlock;
            for (long c = Math.max(covered, start); c < Math.min(covered + perBlock, start + used); c++) {
                write(block, (int) (c - covered), 1);
            }
            long blockOffset = (blocksStart + i) << clusterBits;
            io.writeMetadata(blockOffset, block);
            newTable[(int) (firstIndex + i)] = blockOffset;
        }
        ByteBuffer raw = ByteBuffer.allocate((int) (tableClusters * clusterSize));
        raw.asLongBuffer().put(newTable);
        io.writeMetadata(start << clusterBits, raw);
        io.sync();
        long oldOffset = tableOffset;
        int oldClusters = tableClusters();
        io.writeRefcountTableLocation(start << clusterBits, (int) tableClusters);
        io.sync();
        table = newTable;
        tableOffset = start << clusterBits;
        freeLater(oldOffset, (long) oldClusters * clusterSize, DiscardType.OTHER);
    }

    /** Drops a reference to every cluster the byte range touches, once the tables on disk no longer use them. */
    void freeLater(long offset, long bytes, DiscardType type) {
        pending.add(new PendingFree(offset, bytes, type));
    }

    /** The tables stopped referencing the clusters of every free queued so far are now on disk. */
    void tablesDurable() {
        ready.addAll(pending);
        pending.clear();
    }

    /**
     * Applies the frees made ready by {@link #tablesDurable}. Clusters that
     * reach zero go back to the allocator and, as the pass-discard-* options
     * say, to the file: neighbours in one discard, as QEMU merges them (a
     * stored bitmap frees its old data clusters, often hundreds in a row).
     */
    void applyFrees() throws IOException {
        long runStart = -1;
        long runEnd = -1;
        for (PendingFree free : ready) {
            long first = free.offset() >>> clusterBits;
            long last = (free.offset() + free.bytes() - 1) >>> clusterBits;
            for (long c = first; c <= last; c++) {
                update(c, -1);
                if (get(c) == 0) {
                    freeHint = Math.min(freeHint, c);
                    if (passDiscard[free.type().ordinal()]) {
                        if (c != runEnd) {
                            discardClusters(runStart, runEnd);
                            runStart = c;
                        }
                        runEnd = c + 1;
                    }
                }
            }
        }
        discardClusters(runStart, runEnd);
        ready.clear();
    }

    private void discardClusters(long start, long end) throws IOException {
        if (start >= 0) {
            io.discard(start << clusterBits, (end - start) << clusterBits);
        }
    }
}
