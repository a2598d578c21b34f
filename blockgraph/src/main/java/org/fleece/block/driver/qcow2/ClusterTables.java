package org.fleece.block.driver.qcow2;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The two-level map from guest clusters to L2 entries: the active L1 table
 * (in memory, written through) and the L2 tables (cached, written back only
 * after the refcounts they rely on are durable). Guarded by the driver's
 * metadata lock.
 */
final class ClusterTables {
    private final Qcow2File io;
    private final Refcounts refcounts;
    private final int clusterBits;
    private final int clusterSize;
    /** Entries in one L2 table. */
    private final int l2Entries;
    private final MetadataCache l2;
    private long[] l1;
    private long l1Offset;

    ClusterTables(Qcow2File io, Refcounts refcounts, Qcow2Header header, int cacheTables) throws IOException {
        this.io = io;
        this.refcounts = refcounts;
        this.clusterBits = header.clusterBits();
        this.clusterSize = header.clusterSize();
        this.l2Entries = clusterSize / 8;
        this.l1Offset = header.l1TableOffset();
        this.l1 = new long[header.l1Size()];
        io.readMetadata(l1Offset, header.l1Size() * 8).asLongBuffer().get(l1);
        this.l2 = new MetadataCache(cacheTables, new MetadataCache.Store() {
            @Override
            public ByteBuffer read(long offset) throws IOException {
                return io.readMetadata(offset, clusterSize);
            }

            @Override
            public void beforeWrite() throws IOException {
                syncRefcounts();
            }

            @Override
            public void write(long offset, ByteBuffer table) throws IOException {
                io.writeMetadata(offset, table);
            }
        });
    }

    int l2Entries() {
        return l2Entries;
    }

    int l1Size() {
        return l1.length;
    }

    /** Every L2 table that was ever loaded or set writes here; the refcounts behind them go first. */
    private void syncRefcounts() throws IOException {
        if (refcounts.dirty()) {
            refcounts.writeBack();
            io.sync();
        }
    }

    /**
     * Fills {@code entries} with the L2 entries of {@code count} guest clusters
     * from {@code cluster}, across L2 tables if need be.
     */
    void entries(long cluster, int count, long[] entries) throws IOException {
        for (int done = 0; done < count; ) {
            long c = cluster + done;
            int inTable = Math.min(count - done, clustersLeftInTable(c));
            int l1Index = (int) (c / l2Entries);
            long l2Offset = l1Index < l1.length ? l1[l1Index] & L2Entry.OFFSET_MASK : 0;
            if (l2Offset == 0) {
                Arrays.fill(entries, done, done + inTable, 0);
            } else {
                ByteBuffer table = l2.get(l2Offset);
                int first = (int) (c % l2Entries);
                for (int i = 0; i < inTable; i++) {
                    entries[done + i] = table.getLong((first + i) * 8);
                }
            }
            done += inTable;
        }
    }

    long entry(long cluster) throws IOException {
        long[] one = new long[1];
        entries(cluster, 1, one);
        return one[0];
    }

    /** How many clusters from {@code cluster} lie in its L2 table. */
    int clustersLeftInTable(long cluster) {
        return (int) (l2Entries - cluster % l2Entries);
    }

    /** Sets one L2 entry, making the L2 table (or a private copy of a shared one) first if needed. */
    void set(long cluster, long entry) throws IOException {
        long l2Offset = writableTable((int) (cluster / l2Entries));
        ByteBuffer table = l2.get(l2Offset);
        table.putLong((int) (cluster % l2Entries) * 8, entry);
        l2.markDirty(l2Offset);
    }

    private long writableTable(int l1Index) throws IOException {
        if (l1Index >= l1.length) {
            throw new IOException("qcow2: guest cluster beyond the L1 table");
        }
        long old = l1[l1Index];
        if ((old & L2Entry.COPIED) != 0 && (old & L2Entry.OFFSET_MASK) != 0) {
            return old & L2Entry.OFFSET_MASK;
        }
        long oldOffset = old & L2Entry.OFFSET_MASK;
        ByteBuffer contents = oldOffset == 0 ? ByteBuffer.allocate(clusterSize)
                : copyOf(l2.get(oldOffset));
        long newOffset = refcounts.allocate(1).offset();
        syncRefcounts();
        io.writeMetadata(newOffset, contents);
        io.sync();
        l1[l1Index] = newOffset | L2Entry.COPIED;
        writeL1Entry(l1Index);
        if (oldOffset != 0) {
            refcounts.freeLater(oldOffset, clusterSize, Refcounts.DiscardType.OTHER);
        }
        l2.put(newOffset, copyOf(contents));
        return newOffset;
    }

    /**
     * An upper bound of the host clusters that writing every guest cluster
     * of the range would allocate: one per cluster not yet in place (not
     * COPIED), one per L2 table still to make.
     */
    long clustersToAllocate(long cluster, long count) throws IOException {
        long needed = 0;
        long[] entries = new long[l2Entries];
        for (long c = cluster; c < cluster + count; ) {
            int inTable = (int) Math.min(clustersLeftInTable(c), cluster + count - c);
            int l1Index = (int) (c / l2Entries);
            long l1Entry = l1Index < l1.length ? l1[l1Index] : 0;
            if ((l1Entry & L2Entry.COPIED) == 0 || (l1Entry & L2Entry.OFFSET_MASK) == 0) {
                needed += inTable + 1;
            } else {
                entries(c, inTable, entries);
                for (int i = 0; i < inTable; i++) {
                    if ((entries[i] & L2Entry.COPIED) == 0) {
                        needed++;
                    }
                }
            }
            c += inTable;
        }
        return needed;
    }

    /**
     * Makes the L2 tables the range lacks, all with one sync for their
     * refcounts and one for their contents, before the L1 table names them.
     * Tables shared with a snapshot are left to the writes that copy them.
     * They are not cached: on disk already, each is read when first used.
     */
    void makeTables(long cluster, long count) throws IOException {
        int first = (int) (cluster / l2Entries);
        int last = (int) Math.min(l1.length - 1, (cluster + count - 1) / l2Entries);
        List<Integer> missing = new ArrayList<>();
        for (int i = first; i <= last; i++) {
            if ((l1[i] & L2Entry.OFFSET_MASK) == 0) {
                missing.add(i);
            }
        }
        if (missing.isEmpty()) {
            return;
        }
        long[] offsets = new long[missing.size()];
        for (int k = 0; k < offsets.length; k++) {
            offsets[k] = refcounts.allocate(1).offset();
        }
        syncRefcounts();
        for (long offset : offsets) {
            io.writeMetadata(offset, ByteBuffer.allocate(clusterSize));
        }
        io.sync();
        for (int k = 0; k < offsets.length; k++) {
            int l1Index = missing.get(k);
            l1[l1Index] = offsets[k] | L2Entry.COPIED;
            writeL1Entry(l1Index);
        }
    }

    private static ByteBuffer copyOf(ByteBuffer table) {
        ByteBuffer copy = ByteBuffer.allocate(table.capacity()).order(ByteOrder.BIG_ENDIAN);
        copy.put(table.duplicate().clear()).clear();
        return copy;
    }

    private void writeL1Entry(int index) throws IOException {
        io.writeMetadata(l1Offset + index * 8L, ByteBuffer.allocate(8).putLong(0, l1[index]));
    }

    /** Writes the dirty L2 tables (refcounts first). The caller syncs. */
    void writeBack() throws IOException {
        l2.flush();
    }

    boolean dirty() {
        return l2.isDirty();
    }

    void dropUnused() {
        l2.dropUnused();
    }

    /**
     * Makes the L1 table long enough for {@code entries} entries: a new table
     * in fresh clusters, durable before the header names it; the old one is
     * freed afterwards.
     */
    void growL1(int entries) throws IOException {
        if (entries <= l1.length) {
            return;
        }
        if ((long) entries * 8 > Qcow2Header.MAX_L1_SIZE) {
            throw new IOException("qcow2: L1 table too large");
        }
        long[] grown = Arrays.copyOf(l1, entries);
        int bytes = entries * 8;
        int clusters = (bytes + clusterSize - 1) / clusterSize;
        long newOffset = refcounts.allocateContiguous(clusters);
        syncRefcounts();
        ByteBuffer raw = ByteBuffer.allocate(clusters * clusterSize);
        raw.asLongBuffer().put(grown);
        io.writeMetadata(newOffset, raw);
        io.sync();
        long oldOffset = l1Offset;
        int oldBytes = l1.length * 8;
        io.writeL1Location(entries, newOffset);
        io.sync();
        l1 = grown;
        l1Offset = newOffset;
        if (oldBytes > 0) {
            refcounts.freeLater(oldOffset, oldBytes, Refcounts.DiscardType.OTHER);
        }
    }
}
