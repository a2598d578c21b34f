package org.fleece.block.driver.qcow2;

import org.fleece.block.Errno;
import org.fleece.block.bitmap.BitmapSerialization;
import org.fleece.block.bitmap.DirtyBitmap;
import org.fleece.qapi.QmpError;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * Storing a node's persistent bitmaps as its image closes (QEMU's
 * qcow2_store_persistent_dirty_bitmaps): enabled ones with the auto flag,
 * none in use. Inconsistent ones stay as the image has them, and read-only
 * ones (from a read-only open) are left alone. Every bitmap's data and table
 * go to fresh clusters before the new directory does (see
 * {@link Qcow2Bitmaps#writeDirectory}); the tables of the bitmaps they
 * replace are freed only once the header points to the new directory.
 */
final class BitmapsStore {
    private final Qcow2Bitmaps bitmaps;
    private final Qcow2Metadata metadata;
    private final Qcow2File io;
    private final int clusterSize;
    private final boolean writable;

    BitmapsStore(Qcow2Bitmaps bitmaps, Qcow2Metadata metadata, int clusterSize, boolean writable) {
        this.bitmaps = bitmaps;
        this.metadata = metadata;
        this.io = metadata.file();
        this.clusterSize = clusterSize;
        this.writable = writable;
    }

    /** A bitmap about to be stored, and where its entry goes in the new directory. */
    private record Storing(int index, DirtyBitmap bitmap) {
    }

    /** What storing a bitmap allocated so far, for freeing it again if storing fails. */
    private static final class Allocated {
        private final long[] table;
        private long tableOffset;

        Allocated(long[] table) {
            this.table = table;
        }
    }

    /** Fails with QEMU's words; the image then still holds what it held. */
    void storeAll(List<DirtyBitmap> list) {
        List<BitmapDirectory.Entry> entries = new ArrayList<>(bitmaps.directory());
        List<BitmapDirectory.Entry> replaced = new ArrayList<>();
        List<Storing> storing = new ArrayList<>();
        long size = BitmapDirectory.size(entries);
        for (DirtyBitmap bitmap : list) {
            if (!bitmap.persistent() || bitmap.inconsistent() || bitmap.readonly()) {
                continue;
            }
            String name = bitmap.name();
            String violation = bitmaps.constraintViolation(name, bitmap.granularity(), bitmap.length());
            if (violation != null) {
                throw QmpError.generic("Bitmap '" + name + "' doesn't satisfy the constraints: " + violation);
            }
            int index = indexOf(entries, name);
            if (index < 0) {
                if (entries.size() + 1 > BitmapDirectory.MAX_BITMAPS) {
                    throw QmpError.generic("Too many persistent bitmaps");
                }
                size += BitmapDirectory.entrySize(name);
                if (size > BitmapDirectory.MAX_SIZE) {
                    throw QmpError.generic("Bitmap directory is too large");
                }
                entries.add(null);
                index = entries.size() - 1;
            } else {
                if (!entries.get(index).inUse()) {
                    throw QmpError.generic("Bitmap '" + name + "' already exists in the image");
                }
                replaced.add(entries.get(index));
            }
            storing.add(new Storing(index, bitmap));
        }
        if (storing.isEmpty()) {
            return;
        }
        if (!writable) {
            throw QmpError.generic("No write access");
        }
        List<Allocated> allocated = new ArrayList<>();
        try {
            for (Storing item : storing) {
                entries.set(item.index(), write(item.bitmap(), allocated));
            }
            bitmaps.writeDirectory(entries);
        } catch (IOException | QmpError e) {
            for (Allocated done : allocated) {
                bitmaps.freeClusters(done.tableOffset, done.table);
            }
            throw e instanceof QmpError error ? error
                    : QmpError.generic("Failed to update bitmap extension: " + Errno.describe((IOException) e));
        }
        replaced.forEach(bitmaps::freeBitmap);
    }

    private static int indexOf(List<BitmapDirectory.Entry> entries, String name) {
        for (int i = 0; i < entries.size(); i++) {
            if (entries.get(i) != null && entries.get(i).name().equals(name)) {
                return i;
            }
        }
        return -1;
    }

    /** Writes a bitmap's dirty data clusters, then its table, all to fresh clusters. */
    private BitmapDirectory.Entry write(DirtyBitmap bitmap, List<Allocated> allocated) throws IOException {
        long entries = BitmapTable.entriesFor(BitmapSerialization.size(bitmap), clusterSize);
        if (entries > BitmapDirectory.MAX_TABLE_ENTRIES || entries * clusterSize > BitmapDirectory.MAX_DATA_BYTES) {
            throw QmpError.generic("Bitmap '" + bitmap.name() + "' is too big");
        }
        Allocated done = new Allocated(new long[(int) entries]);
        allocated.add(done);
        BitmapSerialization.forEachDirtyChunk(bitmap, clusterSize, (index, bits) -> {
            long offset = metadata.allocateClusters(1);
            done.table[(int) index] = offset;
            io.writeMetadata(offset, ByteBuffer.wrap(bits));
        });
        done.tableOffset = metadata.allocateClusters(bitmaps.clustersFor(entries * 8));
        io.writeMetadata(done.tableOffset, BitmapTable.encode(done.table));
        int flags = bitmap.enabled() ? BitmapDirectory.FLAG_AUTO : 0;
        return new BitmapDirectory.Entry(done.tableOffset, (int) entries, flags,
                Long.numberOfTrailingZeros(bitmap.granularity()), bitmap.name());
    }
}
