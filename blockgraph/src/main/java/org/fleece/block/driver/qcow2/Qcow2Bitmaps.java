package org.fleece.block.driver.qcow2;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.fleece.block.BlockNode;
import org.fleece.block.Errno;
import org.fleece.block.bitmap.BitmapChecks;
import org.fleece.block.bitmap.DirtyBitmap;
import org.fleece.qapi.QmpError;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The persistent dirty bitmaps of an open image (QEMU's qcow2-bitmap.c):
 * the directory as the image holds it, loading at open ({@link BitmapsOpen}),
 * the in-use flags while the image is open for writing, storing at close
 * ({@link BitmapsStore}), removal. Control thread only; allocations and
 * header updates take the metadata lock.
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
        Qcow2Header.BitmapsExtension extension = BitmapsOpen.checkExtension(header);
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
            BitmapsOpen.Loaded loaded = BitmapsOpen.load(bitmaps.io, extension, bitmaps.clusterSize, nodeLength,
                    writable);
            bitmaps.directory = loaded.directory();
            bitmaps.directoryOffset = extension.directoryOffset();
            bitmaps.directorySize = extension.directorySize();
            bitmaps.loaded = loaded.bitmaps();
        }
        return bitmaps;
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
    String constraintViolation(String name, long granularity, long nodeLength) {
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
    void writeDirectory(List<BitmapDirectory.Entry> entries) throws IOException {
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

    /** The directory as the image has it now. */
    List<BitmapDirectory.Entry> directory() {
        return directory;
    }

    int clustersFor(long bytes) {
        return (int) ((bytes + clusterSize - 1) / clusterSize);
    }

    /** Frees a bitmap's data clusters and table; a table that cannot be read frees nothing (leaks at worst). */
    void freeBitmap(BitmapDirectory.Entry entry) {
        long[] table;
        try {
            table = BitmapTable.read(io, entry, clusterSize);
        } catch (IOException e) {
            return;
        }
        freeClusters(entry.tableOffset(), table);
    }

    /** Frees the data clusters a table names and the table itself (if it was placed: offset not 0). */
    void freeClusters(long tableOffset, long[] table) {
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
     * Stores the node's persistent bitmaps as the image closes (see
     * {@link BitmapsStore}). A failure loses them, as in QEMU, and is
     * reported on stderr.
     */
    void store() {
        if (node == null) {
            return;
        }
        try {
            new BitmapsStore(this, metadata, clusterSize, writable).storeAll(node.bitmaps().all());
        } catch (QmpError e) {
            System.err.println("Lost persistent bitmaps during inactivation of node '" + node.name() + "': "
                    + e.getMessage());
        }
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
