package org.fleece.block.driver.qcow2;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;

/**
 * Repairs an image whose dirty bit is set (QEMU wrote it with lazy
 * refcounts and did not close it), as QEMU does when it opens such an image
 * writable: every cluster's refcount becomes the number of references that
 * the image's tables make to it, so leaks are freed and missing counts are
 * added, and then the dirty bit is cleared. The tables themselves are never
 * changed, so a crash during the repair leaves the image dirty and the next
 * open repairs it again.
 */
final class RefcountRepair {
    private final Qcow2File io;
    private final Qcow2Header header;
    private final int clusterBits;
    private final int clusterSize;
    private final int[] references;

    private RefcountRepair(Qcow2File io, Qcow2Header header, long fileClusters) {
        this.io = io;
        this.header = header;
        this.clusterBits = header.clusterBits();
        this.clusterSize = header.clusterSize();
        this.references = new int[(int) fileClusters];
    }

    static void repair(Qcow2File io, Qcow2Header header, Refcounts refcounts) throws IOException {
        if (header.snapshotCount() > 0) {
            throw new IOException("its refcounts need a repair Fleece cannot do for images with internal snapshots");
        }
        long fileClusters = (io.length() + header.clusterSize() - 1) >>> header.clusterBits();
        if (fileClusters > Integer.MAX_VALUE - 8) {
            throw new IOException("the image is too large for Fleece to repair its refcounts");
        }
        RefcountRepair repair = new RefcountRepair(io, header, fileClusters);
        repair.countReferences(refcounts);
        repair.apply(refcounts);
        refcounts.writeBack();
        io.sync();
        io.writeIncompatibleFeatures(header.incompatibleFeatures() & ~Qcow2Header.INCOMPAT_DIRTY);
        io.sync();
    }

    private void countReferences(Refcounts refcounts) throws IOException {
        reference(0, clusterSize);
        reference(header.l1TableOffset(), header.l1Size() * 8L);
        if (header.l1Size() > 0) {
            ByteBuffer l1 = io.readMetadata(header.l1TableOffset(), header.l1Size() * 8);
            for (int i = 0; i < header.l1Size(); i++) {
                long l2Offset = L2Entry.offset(l1.getLong(i * 8));
                if (l2Offset != 0) {
                    reference(l2Offset, clusterSize);
                    countL2(io.readMetadata(l2Offset, clusterSize));
                }
            }
        }
        reference(refcounts.tableOffset(), (long) refcounts.tableClusters() * clusterSize);
        for (long blockOffset : refcounts.blockOffsets()) {
            reference(blockOffset, clusterSize);
        }
        countBitmaps();
    }

    private void countL2(ByteBuffer l2) throws IOException {
        boolean zeroFlag = header.version() >= 3;
        for (int i = 0; i < clusterSize / 8; i++) {
            long entry = l2.getLong(i * 8);
            switch (L2Entry.type(entry, zeroFlag)) {
                case NORMAL, ZERO_ALLOC -> reference(L2Entry.offset(entry), clusterSize);
                case COMPRESSED -> reference(L2Entry.compressedOffset(entry, clusterBits),
                        L2Entry.compressedLength(entry, clusterBits));
                case UNALLOCATED, ZERO_PLAIN -> {
                }
            }
        }
    }

    /** Bitmaps count only while their autoclear bit says the extension is valid, as in QEMU's check. */
    private void countBitmaps() throws IOException {
        Qcow2Header.BitmapsExtension extension = header.bitmaps();
        if (extension == null || extension.count() == 0
                || (header.autoclearFeatures() & Qcow2Header.AUTOCLEAR_BITMAPS) == 0) {
            return;
        }
        reference(extension.directoryOffset(), extension.directorySize());
        ByteBuffer directory = io.readMetadata(extension.directoryOffset(), (int) extension.directorySize());
        List<BitmapDirectory.Entry> entries = BitmapDirectory.parse(directory, extension.count(), clusterSize,
                header.size());
        for (BitmapDirectory.Entry entry : entries) {
            reference(entry.tableOffset(), entry.tableSize() * 8L);
            for (long value : BitmapTable.read(io, entry, clusterSize)) {
                long offset = L2Entry.offset(value);
                if (offset != 0) {
                    reference(offset, clusterSize);
                }
            }
        }
    }

    /** One more reference to every cluster the byte range touches. */
    private void reference(long offset, long bytes) throws IOException {
        if (bytes <= 0) {
            return;
        }
        long last = (offset + bytes - 1) >>> clusterBits;
        if (last >= references.length) {
            throw new IOException("a table points past the end of the file (cluster " + last + ")");
        }
        for (long c = offset >>> clusterBits; c <= last; c++) {
            references[(int) c]++;
        }
    }

    private void apply(Refcounts refcounts) throws IOException {
        for (int c = 0; c < references.length; c++) {
            if (refcounts.get(c) != references[c]) {
                refcounts.set(c, references[c]);
            }
        }
    }
}
