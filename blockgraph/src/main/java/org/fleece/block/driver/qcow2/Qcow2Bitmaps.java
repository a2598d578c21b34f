package org.fleece.block.driver.qcow2;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.fleece.block.BlockIOException;
import org.fleece.block.BlockNode;
import org.fleece.block.Errno;
import org.fleece.block.bitmap.BitmapChecks;
import org.fleece.block.bitmap.BitmapSerialization;
import org.fleece.block.bitmap.DirtyBitmap;
import org.fleece.qapi.QmpError;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The persistent dirty bitmaps of an open image (QEMU's qcow2-bitmap.c):
 * the directory as the image holds it, loading at open, the in-use flags
 * while the image is open for writing, storing at close, removal. Control
 * thread only; allocations and header updates take the metadata lock.
 * <p>
 * The write order is QEMU's: bitmap data, tables and a new directory go to
 * fresh clusters, the caches are flushed, and only then does the header
 * point to the new directory (with autoclear bit 0); old clusters are freed
 * last. A crash leaves either the old bitmaps or the new ones, at worst with
 * leaked clusters. While the image is open its bitmaps carry the in-use
 * flag, so after a crash they load as inconsistent.
 */
final class Qcow2Bitmaps {
    /** The autoclear bits QEMU keeps; others are cleared by a writable open, as the spec asks. */
    private static final long KNOWN_AUTOCLEAR = Qcow2Header.AUTOCLEAR_BITMAPS | Qcow2Header.AUTOCLEAR_DATA_FILE_RAW;

    private final Qcow2Metadata metadata;
    private final Qcow2File io;
    private final int clusterSize;
    private final int version;
    private final boolean writable;
    private long autoclear;
    /** The directory as the image has it now, in its order. */
    private List<BitmapDirectory.Entry> directory = List.of();
    private long directoryOffset;
    private long directorySize;
    /** Loaded at open in directory order, until {@link #attach} hands them to the node. */
    private List<DirtyBitmap> loaded = List.of();
    private BlockNode node;

    private Qcow2Bitmaps(Qcow2Metadata metadata, Qcow2Header header, boolean writable) {
        this.metadata = metadata;
        this.io = metadata.file();
        this.clusterSize = header.clusterSize();
        this.version = header.version();
        this.writable = writable;
        this.autoclear = header.autoclearFeatures();
    }

    /**
     * Reads the bitmaps extension and directory and loads every bitmap (QEMU's
     * qcow2_read_extensions and qcow2_load_dirty_bitmaps), refusing what QEMU
     * refuses. A writable open clears unknown autoclear bits, and drops an
     * extension that a program without bitmap support left behind.
     */
    static Qcow2Bitmaps open(Qcow2Metadata metadata, Qcow2Header header, boolean writable, long nodeLength) {
        Qcow2Bitmaps bitmaps = new Qcow2Bitmaps(metadata, header, writable);
        Qcow2Header.BitmapsExtension extension = bitmaps.checkExtension(header.bitmaps());
        boolean dropped = header.bitmaps() != null && extension == null;
        try {
            if (writable && (dropped || (bitmaps.autoclear & ~KNOWN_AUTOCLEAR) != 0)) {
                bitmaps.autoclear &= KNOWN_AUTOCLEAR;
                long bits = bitmaps.autoclear;
                metadata.update(() -> HeaderExtensions.writeBitmaps(bitmaps.io, bitmaps.clusterSize, extension, bits));
            }
        } catch (IOException e) {
            throw QmpError.generic("Could not update qcow2 header: " + Errno.describe(e));
        }
        if (extension != null) {
            bitmaps.load(extension, nodeLength);
        }
        return bitmaps;
    }

    /** The extension if its bitmaps count, null if there is none or it must be ignored. */
    private Qcow2Header.BitmapsExtension checkExtension(Qcow2Header.BitmapsExtension extension) {
        if (extension == null) {
            return null;
        }
        if (extension.length() != Qcow2Header.BitmapsExtension.LENGTH) {
            throw QmpError.generic("bitmaps_ext: Invalid extension length");
        }
        if ((autoclear & Qcow2Header.AUTOCLEAR_BITMAPS) == 0) {
            System.err.println((version < 3
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
        if (extension.directoryOffset() % clusterSize != 0) {
            throw QmpError.generic("bitmaps_ext: invalid bitmap directory offset");
        }
        if (Long.compareUnsigned(extension.directorySize(), BitmapDirectory.MAX_SIZE) > 0) {
            throw QmpError.generic("bitmaps_ext: bitmap directory size (" + Long.toUnsignedString(extension.directorySize())
                    + ") exceeds the maximum supported size (" + BitmapDirectory.MAX_SIZE + ")");
        }
        return extension;
    }

    private void load(Qcow2Header.BitmapsExtension extension, long nodeLength) {
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
            bitmaps.add(loadBitmap(entry, nodeLength));
        }
        directory = entries;
        directoryOffset = extension.directoryOffset();
        directorySize = extension.directorySize();
        loaded = bitmaps;
    }

    /** One bitmap with its flags; the bits only if it was not left in use (then they mean nothing). */
    private DirtyBitmap loadBitmap(BitmapDirectory.Entry entry, long nodeLength) {
        DirtyBitmap bitmap = new DirtyBitmap(entry.name(), entry.granularity(), nodeLength);
        bitmap.setPersistent(true);
        if (entry.inUse()) {
            bitmap.setInconsistent(true);
            bitmap.setEnabled(false);
        } else {
            readBits(entry, bitmap);
        }
        if (!entry.auto()) {
            bitmap.setEnabled(false);
        }
        if (!writable) {
            bitmap.setReadonly(true);
        }
        return bitmap;
    }

    private void readBits(BitmapDirectory.Entry entry, DirtyBitmap bitmap) {
        long[] table;
        try {
            table = readTable(entry);
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

    /** A bitmap's table, every entry checked as QEMU checks them (EINVAL if one is wrong). */
    private long[] readTable(BitmapDirectory.Entry entry) throws IOException {
        long[] table = BitmapTable.decode(io.readMetadata(entry.tableOffset(), entry.tableSize() * 8), entry.tableSize());
        for (long value : table) {
            if (!BitmapTable.validEntry(value, clusterSize)) {
                throw new BlockIOException(Errno.EINVAL);
            }
        }
        return table;
    }

    /**
     * The node is in the graph: the loaded bitmaps join its list (newest
     * first, so the directory's last comes first, as in QEMU), and a writable
     * image marks them in use.
     */
    void attach(BlockNode owner) {
        loaded.forEach(owner.bitmaps()::add);
        node = owner;
        boolean consistentOnes = directory.stream().anyMatch(entry -> !entry.inUse());
        if (writable && consistentOnes) {
            try {
                markInUse();
            } catch (IOException e) {
                loaded.forEach(owner.bitmaps()::remove);
                node = null;
                throw QmpError.generic("Can't update bitmap directory: " + Errno.describe(e));
            }
        }
        loaded = List.of();
    }

    /**
     * Sets the in-use flags in the directory in place (QEMU's
     * update_ext_header_and_dir_in_place): the autoclear bit is off while the
     * directory changes, so a torn write leaves bitmaps that are ignored, never wrong ones.
     */
    private void markInUse() throws IOException {
        List<BitmapDirectory.Entry> marked = directory.stream()
                .map(entry -> entry.withFlags(entry.flags() | BitmapDirectory.FLAG_IN_USE)).toList();
        long without = autoclear & ~Qcow2Header.AUTOCLEAR_BITMAPS;
        metadata.update(() -> io.writeAutoclearFeatures(without));
        metadata.update(() -> io.writeMetadata(directoryOffset, BitmapDirectory.encode(marked)));
        metadata.update(() -> io.writeAutoclearFeatures(autoclear));
        directory = marked;
    }

    /** QEMU's checks before a persistent bitmap is added (qcow2_co_can_store_new_dirty_bitmap), in its words. */
    void checkCanStore(String nodeName, String name, long granularity, long nodeLength) {
        if (node.bitmaps().find(name) != null) {
            throw QmpError.generic("Bitmap already exists: " + name);
        }
        String prefix = "Can't make bitmap '" + name + "' persistent in '" + nodeName + "': ";
        if (version < 3) {
            throw QmpError.generic(prefix + "Cannot store dirty bitmaps in qcow2 v2 files");
        }
        String violation = constraintViolation(name, granularity, nodeLength);
        if (violation != null) {
            throw QmpError.generic(prefix + violation);
        }
        long count = 1;
        long size = BitmapDirectory.entrySize(name);
        for (DirtyBitmap bitmap : node.bitmaps().all()) {
            if (bitmap.persistent()) {
                count++;
                size += BitmapDirectory.entrySize(bitmap.name());
            }
        }
        if (count > BitmapDirectory.MAX_BITMAPS) {
            throw QmpError.generic(prefix + "Maximum number of persistent bitmaps is already reached");
        }
        if (size > BitmapDirectory.MAX_SIZE) {
            throw QmpError.generic(prefix + "Not enough space in the bitmap directory");
        }
    }

    /** QEMU's check_constraints_on_bitmap: what keeps a bitmap storable; null when it is. */
    private String constraintViolation(String name, long granularity, long nodeLength) {
        int bits = Long.numberOfTrailingZeros(granularity);
        if (bits > BitmapDirectory.MAX_GRANULARITY_BITS) {
            return "Granularity exceeds maximum (" + (1L << BitmapDirectory.MAX_GRANULARITY_BITS) + " bytes)";
        }
        if (bits < BitmapDirectory.MIN_GRANULARITY_BITS) {
            return "Granularity is under minimum (" + (1L << BitmapDirectory.MIN_GRANULARITY_BITS) + " bytes)";
        }
        long granules = (nodeLength + granularity - 1) / granularity;
        long bytes = (granules + 7) / 8;
        if (bytes > BitmapDirectory.MAX_DATA_BYTES || bytes > BitmapDirectory.MAX_TABLE_ENTRIES * clusterSize) {
            return "Too much space will be occupied by the bitmap. Use larger granularity";
        }
        if (name.getBytes(StandardCharsets.UTF_8).length > BitmapDirectory.MAX_NAME_BYTES) {
            return "Name length exceeds maximum (" + BitmapDirectory.MAX_NAME_BYTES + " characters)";
        }
        return null;
    }

    /**
     * Drops a bitmap from the image: a directory without it, then its
     * clusters, freed at the next flush (QEMU: absent is no error).
     */
    void remove(String name) {
        BitmapDirectory.Entry gone = directory.stream().filter(entry -> entry.name().equals(name)).findFirst()
                .orElse(null);
        if (gone == null) {
            return;
        }
        List<BitmapDirectory.Entry> rest = new ArrayList<>(directory);
        rest.remove(gone);
        try {
            // Transactions run with every node drained: this I/O is the drainer's own.
            io.whileDrained(() -> {
                writeDirectory(rest);
                freeBitmap(gone);
            });
        } catch (IOException e) {
            throw QmpError.generic("Failed to update bitmap extension: " + Errno.describe(e));
        }
    }

    /**
     * Writes the directory to fresh clusters, then points the header at it
     * (or drops the extension and autoclear bit 0 when no bitmap is left),
     * then frees the old one: QEMU's update_ext_header_and_dir.
     */
    private void writeDirectory(List<BitmapDirectory.Entry> entries) throws IOException {
        long newOffset = 0;
        long newSize = 0;
        long newAutoclear = autoclear & ~Qcow2Header.AUTOCLEAR_BITMAPS;
        Qcow2Header.BitmapsExtension extension = null;
        ByteBuffer raw = BitmapDirectory.encode(entries);
        if (!entries.isEmpty()) {
            newSize = raw.remaining();
            newOffset = metadata.allocateClusters(clustersFor(newSize));
            newAutoclear |= Qcow2Header.AUTOCLEAR_BITMAPS;
            extension = Qcow2Header.BitmapsExtension.of(entries.size(), newSize, newOffset);
        }
        try {
            if (extension != null) {
                io.writeMetadata(newOffset, raw);
                metadata.flushCaches();
            }
            Qcow2Header.BitmapsExtension written = extension;
            long bits = newAutoclear;
            metadata.update(() -> HeaderExtensions.writeBitmaps(io, clusterSize, written, bits));
        } catch (IOException e) {
            if (newSize > 0) {
                metadata.freeLater(newOffset, newSize, Refcounts.DiscardType.OTHER);
            }
            throw e;
        }
        if (directorySize > 0) {
            metadata.freeLater(directoryOffset, directorySize, Refcounts.DiscardType.OTHER);
        }
        directory = List.copyOf(entries);
        directoryOffset = newOffset;
        directorySize = newSize;
        autoclear = newAutoclear;
    }

    private int clustersFor(long bytes) {
        return (int) ((bytes + clusterSize - 1) / clusterSize);
    }

    /** Frees a bitmap's data clusters and table; a table that cannot be read frees nothing (leaks at worst). */
    private void freeBitmap(BitmapDirectory.Entry entry) {
        long[] table;
        try {
            table = readTable(entry);
        } catch (IOException e) {
            return;
        }
        freeClusters(entry.tableOffset(), table);
    }

    /** Frees the data clusters a table names and the table itself (if it was placed: offset not 0). */
    private void freeClusters(long tableOffset, long[] table) {
        for (long value : table) {
            long offset = value & BitmapTable.OFFSET_MASK;
            if (offset != 0) {
                metadata.freeLater(offset, clusterSize, Refcounts.DiscardType.ALWAYS);
            }
        }
        if (tableOffset != 0) {
            metadata.freeLater(tableOffset, table.length * 8L, Refcounts.DiscardType.OTHER);
        }
    }

    /**
     * Stores the node's persistent bitmaps as the image closes (QEMU's
     * qcow2_store_persistent_dirty_bitmaps): enabled ones with the auto
     * flag, none in use; inconsistent ones stay as the image has them, and
     * read-only ones (from a read-only open) are left alone. A failure loses
     * the bitmaps, as in QEMU, and is reported on stderr.
     */
    void store() {
        if (node == null) {
            return;
        }
        try {
            storeAll(node.bitmaps().all());
        } catch (QmpError e) {
            System.err.println("Lost persistent bitmaps during inactivation of node '" + node.name() + "': "
                    + e.getMessage());
        }
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

    private void storeAll(List<DirtyBitmap> bitmaps) {
        List<BitmapDirectory.Entry> entries = new ArrayList<>(directory);
        List<BitmapDirectory.Entry> replaced = new ArrayList<>();
        List<Storing> storing = new ArrayList<>();
        long size = BitmapDirectory.size(entries);
        for (DirtyBitmap bitmap : bitmaps) {
            if (!bitmap.persistent() || bitmap.inconsistent() || bitmap.readonly()) {
                continue;
            }
            String name = bitmap.name();
            String violation = constraintViolation(name, bitmap.granularity(), bitmap.length());
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
                entries.set(item.index(), writeBitmap(item.bitmap(), allocated));
            }
            writeDirectory(entries);
        } catch (IOException | QmpError e) {
            for (Allocated done : allocated) {
                freeClusters(done.tableOffset, done.table);
            }
            throw e instanceof QmpError error ? error
                    : QmpError.generic("Failed to update bitmap extension: " + Errno.describe((IOException) e));
        }
        replaced.forEach(this::freeBitmap);
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
    private BitmapDirectory.Entry writeBitmap(DirtyBitmap bitmap, List<Allocated> allocated) throws IOException {
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
        done.tableOffset = metadata.allocateClusters(clustersFor(entries * 8));
        io.writeMetadata(done.tableOffset, BitmapTable.encode(done.table));
        int flags = bitmap.enabled() ? BitmapDirectory.FLAG_AUTO : 0;
        return new BitmapDirectory.Entry(done.tableOffset, (int) entries, flags,
                Long.numberOfTrailingZeros(bitmap.granularity()), bitmap.name());
    }

    /**
     * QEMU's qcow2_truncate_bitmaps_check: a resize needs every stored bitmap
     * in memory and modifiable, so that each can be stored at its new size.
     */
    void checkResize() {
        for (BitmapDirectory.Entry entry : directory) {
            DirtyBitmap bitmap = node == null ? null : node.bitmaps().find(entry.name());
            if (bitmap == null) {
                throw QmpError.generic("Cannot resize qcow2 with persistent bitmaps that were not loaded into memory");
            }
            BitmapChecks.modifiable(bitmap);
        }
    }

    /** ImageInfoSpecificQCow2's "bitmaps": the directory as the image has it now, flags included. */
    void describe(ObjectNode data) {
        if (directory.isEmpty()) {
            return;
        }
        ArrayNode list = data.putArray("bitmaps");
        for (BitmapDirectory.Entry entry : directory) {
            ObjectNode info = list.addObject();
            ArrayNode flags = info.putArray("flags");
            if (entry.inUse()) {
                flags.add("in-use");
            }
            if (entry.auto()) {
                flags.add("auto");
            }
            info.put("name", entry.name());
            info.put("granularity", entry.granularity());
        }
    }
}
