package org.fleece.block.driver.qcow2;

import org.fleece.block.Errno;
import org.fleece.block.bitmap.BitmapSerialization;
import org.fleece.block.bitmap.DirtyBitmap;
import org.fleece.qapi.QmpError;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Reading an image's bitmaps at open (QEMU's qcow2_read_extensions and
 * qcow2_load_dirty_bitmaps): the extension, the directory, then each
 * bitmap with its flags and bits, refusing what QEMU refuses in its words.
 */
final class BitmapsOpen {
    private BitmapsOpen() {
    }

    /** The directory and a bitmap per entry, in the directory's order. */
    record Loaded(List<BitmapDirectory.Entry> directory, List<DirtyBitmap> bitmaps) {
    }

    /**
     * The header's bitmaps extension if its bitmaps count; null if there is
     * none or the autoclear bit says a program without bitmap support wrote
     * the image since (QEMU then warns and ignores them).
     */
    static Qcow2Header.BitmapsExtension checkExtension(Qcow2Header header) {
        Qcow2Header.BitmapsExtension extension = header.bitmaps();
        if (extension == null) {
            return null;
        }
        if (extension.length() != Qcow2Header.BitmapsExtension.LENGTH) {
            throw QmpError.generic("bitmaps_ext: Invalid extension length");
        }
        if ((header.autoclearFeatures() & Qcow2Header.AUTOCLEAR_BITMAPS) == 0) {
            System.err.println((header.version() < 3
                    ? "warning: This qcow2 v2 image contains bitmaps, but they may have been modified by a program "
                    + "without persistent bitmap support; so now they must all be considered inconsistent"
                    : "warning: a program lacking bitmap support modified this file, so all bitmaps are now "
                    + "considered inconsistent")
                    + "\nSome clusters may be leaked, run 'qemu-img check -r' on the image file to fix.");
            return null;
        }
        if (extension.reserved() != 0) {
            throw QmpError.generic("bitmaps_ext: Reserved field is not zero");
        }
        long count = extension.count() & 0xffffffffL;
        if (count > BitmapDirectory.MAX_BITMAPS) {
            throw QmpError.generic("bitmaps_ext: Image has " + count
                    + " bitmaps, exceeding the QEMU supported maximum of " + BitmapDirectory.MAX_BITMAPS);
        }
        if (count == 0) {
            throw QmpError.generic("found bitmaps extension with zero bitmaps");
        }
        if (extension.directoryOffset() % header.clusterSize() != 0) {
            throw QmpError.generic("bitmaps_ext: invalid bitmap directory offset");
        }
        if (Long.compareUnsigned(extension.directorySize(), BitmapDirectory.MAX_SIZE) > 0) {
            throw QmpError.generic("bitmaps_ext: bitmap directory size ("
                    + Long.toUnsignedString(extension.directorySize()) + ") exceeds the maximum supported size ("
                    + BitmapDirectory.MAX_SIZE + ")");
        }
        return extension;
    }

    /** Every bitmap the directory names; a read-only open makes them read-only. */
    static Loaded load(Qcow2File io, Qcow2Header.BitmapsExtension extension, int clusterSize, long nodeLength,
                       boolean writable) {
        if (extension.directorySize() == 0) {
            throw QmpError.generic("Requested bitmap directory size is zero");
        }
        ByteBuffer raw;
        try {
            raw = io.readMetadata(extension.directoryOffset(), (int) extension.directorySize());
        } catch (IOException e) {
            throw QmpError.generic("Failed to read bitmap directory: " + Errno.describe(e));
        }
        List<BitmapDirectory.Entry> entries = BitmapDirectory.parse(raw, extension.count(), clusterSize, nodeLength);
        List<DirtyBitmap> bitmaps = new ArrayList<>();
        Set<String> names = new HashSet<>();
        for (BitmapDirectory.Entry entry : entries) {
            if (!names.add(entry.name())) {
                throw QmpError.generic("Bitmap already exists: " + entry.name());
            }
            DirtyBitmap bitmap = bitmap(io, entry, clusterSize, nodeLength);
            bitmap.setReadonly(!writable);
            bitmaps.add(bitmap);
        }
        return new Loaded(entries, bitmaps);
    }

    /** One bitmap with its flags; the bits only if it was not left in use (then they mean nothing). */
    private static DirtyBitmap bitmap(Qcow2File io, BitmapDirectory.Entry entry, int clusterSize, long nodeLength) {
        DirtyBitmap bitmap = new DirtyBitmap(entry.name(), entry.granularity(), nodeLength);
        bitmap.setPersistent(true);
        if (entry.inUse()) {
            bitmap.setInconsistent(true);
            bitmap.setEnabled(false);
        } else {
            readBits(io, entry, clusterSize, bitmap);
        }
        if (!entry.auto()) {
            bitmap.setEnabled(false);
        }
        return bitmap;
    }

    private static void readBits(Qcow2File io, BitmapDirectory.Entry entry, int clusterSize, DirtyBitmap bitmap) {
        long[] table;
        try {
            table = BitmapTable.read(io, entry, clusterSize);
        } catch (IOException e) {
            throw QmpError.generic("Could not read bitmap_table table from image for bitmap '" + entry.name() + "': "
                    + Errno.describe(e));
        }
        String failure = "Could not read bitmap '" + entry.name() + "' from image: ";
        if (table.length != BitmapTable.entriesFor(BitmapSerialization.size(bitmap), clusterSize)) {
            throw QmpError.generic(failure + Errno.EINVAL.text());
        }
        BitmapSerialization.Loader loader = new BitmapSerialization.Loader(bitmap, clusterSize);
        try {
            for (int i = 0; i < table.length; i++) {
                long offset = table[i] & BitmapTable.OFFSET_MASK;
                if (offset != 0) {
                    loader.chunk(i, io.readMetadata(offset, clusterSize));
                } else if ((table[i] & BitmapTable.ALL_ONES) != 0) {
                    loader.ones(i);
                }
            }
        } catch (IOException e) {
            throw QmpError.generic(failure + Errno.describe(e));
        }
        loader.finish();
    }
}
