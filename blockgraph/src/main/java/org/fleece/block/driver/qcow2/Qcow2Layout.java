package org.fleece.block.driver.qcow2;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The metadata of a new, empty image (qcow2.txt), laid out as QEMU lays it
 * out: the header in cluster 0, the refcount table from cluster 1, its
 * refcount blocks after it, then the L1 table; with preallocation, each L2
 * table followed by the data clusters it maps. Every cluster in use has
 * refcount 1. A pure computation: {@link #writes()} says what to write where.
 */
final class Qcow2Layout {
    /** One write of the new image: bytes at a file offset. */
    record Write(long offset, ByteBuffer data) {
    }

    /** A run of data clusters a preallocated image maps, for falloc/full to back with disk space. */
    record DataRun(long offset, long length) {
    }

    /** What the header and extensions say, besides the tables. */
    record Format(int version, int clusterBits, int refcountOrder, boolean lazyRefcounts, boolean zstd,
                  String backingFile, String backingFormat) {
        int clusterSize() {
            return 1 << clusterBits;
        }
    }

    static final int V3_HEADER_LENGTH = 112;
    private static final int V2_HEADER_LENGTH = 72;
    /** QEMU adds the feature name table only to images whose header cluster has room to spare. */
    private static final int FEATURE_TABLE_MIN_CLUSTER = 8192;
    private static final int EXT_BACKING_FORMAT = 0xe2792aca;
    private static final int EXT_FEATURE_TABLE = 0x6803f857;
    /** The features QEMU names in new images: type (0 incompatible, 1 compatible, 2 autoclear), bit, name. */
    private static final Object[][] FEATURE_NAMES = {
        {0, 0, "dirty bit"}, {0, 1, "corrupt bit"}, {0, 2, "external data file"}, {0, 3, "compression type"},
        {0, 4, "extended L2 entries"}, {1, 0, "lazy refcounts"}, {2, 0, "bitmaps"}, {2, 1, "raw external data"},
    };

    private final List<Write> writes = new ArrayList<>();
    private final List<DataRun> data = new ArrayList<>();
    private final int clusterSize;
    private long end;

    private Qcow2Layout(int clusterSize) {
        this.clusterSize = clusterSize;
    }

    int clusterSize() {
        return clusterSize;
    }

    List<Write> writes() {
        return writes;
    }

    List<DataRun> dataRuns() {
        return data;
    }

    /** The file length the image needs: up to the last byte written or data cluster mapped. */
    long end() {
        return end;
    }

    /** Entries the L1 table of an image of that size has. */
    static long l1Entries(long size, int clusterBits) {
        long clusters = ceilDiv(size, 1L << clusterBits);
        return ceilDiv(clusters, (1L << clusterBits) / 8);
    }

    /**
     * Bytes the header, its extensions and the backing file name take; more
     * than a cluster means the name does not fit.
     */
    static int headerBytes(Format format) {
        return extensions(format).length + nameBytes(format);
    }

    /**
     * The image of {@code size} bytes (with an L1 table that must fit QEMU's
     * limit), with metadata for every cluster when {@code preallocate}.
     */
    static Qcow2Layout of(Format format, long size, boolean preallocate) {
        Qcow2Layout layout = new Qcow2Layout(format.clusterSize());
        layout.build(format, size, preallocate);
        return layout;
    }

    private void build(Format format, long size, boolean preallocate) {
        int clusterSize = format.clusterSize();
        long perBlock = (long) clusterSize * 8 >> format.refcountOrder();
        long l2Entries = clusterSize / 8;
        long guestClusters = ceilDiv(size, clusterSize);
        long l1Entries = l1Entries(size, format.clusterBits());
        long l1Clusters = ceilDiv(l1Entries * 8, clusterSize);
        long fixed = 1 + l1Clusters + (preallocate ? l1Entries + guestClusters : 0);
        long tableClusters = 1;
        long blocks = 1;
        while (true) {
            long total = fixed + tableClusters + blocks;
            long neededBlocks = ceilDiv(total, perBlock);
            long neededTable = ceilDiv(neededBlocks * 8, clusterSize);
            if (neededBlocks <= blocks && neededTable <= tableClusters) {
                break;
            }
            blocks = Math.max(blocks, neededBlocks);
            tableClusters = Math.max(tableClusters, neededTable);
        }
        long total = fixed + tableClusters + blocks;
        long tableAt = 1;
        long blocksAt = tableAt + tableClusters;
        long l1At = blocksAt + blocks;

        ByteBuffer table = buffer((int) (tableClusters * clusterSize));
        for (long i = 0; i < blocks; i++) {
            table.putLong((int) (i * 8), (blocksAt + i) << format.clusterBits());
        }
        add(tableAt << format.clusterBits(), table);
        for (long i = 0; i < blocks; i++) {
            ByteBuffer block = buffer(clusterSize);
            long first = i * perBlock;
            for (long c = first; c < Math.min(total, first + perBlock); c++) {
                Refcounts.put(block, (int) (c - first), format.refcountOrder(), 1);
            }
            add((blocksAt + i) << format.clusterBits(), block);
        }
        long l1Offset = l1Entries == 0 ? 0 : l1At << format.clusterBits();
        if (l1Entries > 0) {
            ByteBuffer l1 = buffer((int) (l1Entries * 8));
            if (preallocate) {
                long next = l1At + l1Clusters;
                for (long t = 0; t < l1Entries; t++) {
                    long mapped = Math.min(l2Entries, guestClusters - t * l2Entries);
                    l1.putLong((int) (t * 8), (next << format.clusterBits()) | L2Entry.COPIED);
                    ByteBuffer l2 = buffer(clusterSize);
                    for (long e = 0; e < mapped; e++) {
                        l2.putLong((int) (e * 8), ((next + 1 + e) << format.clusterBits()) | L2Entry.COPIED);
                    }
                    add(next << format.clusterBits(), l2);
                    data.add(new DataRun((next + 1) << format.clusterBits(), mapped << format.clusterBits()));
                    end = Math.max(end, (next + 1 + mapped) << format.clusterBits());
                    next += 1 + mapped;
                }
            }
            add(l1Offset, l1);
        }
        add(0, header(format, size, l1Entries, l1Offset, tableAt << format.clusterBits(), tableClusters));
    }

    private void add(long offset, ByteBuffer bytes) {
        writes.add(new Write(offset, bytes));
        end = Math.max(end, offset + bytes.capacity());
    }

    private static ByteBuffer buffer(int bytes) {
        return ByteBuffer.allocate(bytes).order(ByteOrder.BIG_ENDIAN);
    }

    /** The header cluster: header fields, extensions, end marker, backing file name. */
    private static ByteBuffer header(Format format, long size, long l1Entries, long l1Offset, long tableOffset,
                                     long tableClusters) {
        ByteBuffer h = buffer(format.clusterSize());
        byte[] extensions = extensions(format);
        byte[] name = format.backingFile() == null ? new byte[0]
                : format.backingFile().getBytes(StandardCharsets.UTF_8);
        h.putInt(0, Qcow2Header.MAGIC);
        h.putInt(4, format.version());
        if (name.length > 0) {
            h.putLong(8, extensions.length);
            h.putInt(16, name.length);
        }
        h.putInt(20, format.clusterBits());
        h.putLong(24, size);
        h.putInt(36, (int) l1Entries);
        h.putLong(40, l1Offset);
        h.putLong(48, tableOffset);
        h.putInt(56, (int) tableClusters);
        if (format.version() >= 3) {
            h.putLong(72, format.zstd() ? Qcow2Header.INCOMPAT_COMPRESSION : 0);
            h.putLong(80, format.lazyRefcounts() ? Qcow2Header.COMPAT_LAZY_REFCOUNTS : 0);
            h.putInt(96, format.refcountOrder());
            h.putInt(100, V3_HEADER_LENGTH);
            h.put(104, (byte) (format.zstd() ? 1 : 0));
        }
        int headerLength = format.version() >= 3 ? V3_HEADER_LENGTH : V2_HEADER_LENGTH;
        h.put(headerLength, extensions, headerLength, extensions.length - headerLength);
        h.put(extensions.length, name);
        return h;
    }

    /** The header's fixed part left zero, then the extensions and their end marker. */
    private static byte[] extensions(Format format) {
        int headerLength = format.version() >= 3 ? V3_HEADER_LENGTH : V2_HEADER_LENGTH;
        ByteBuffer b = buffer(headerLength + 16 + 1024 + 8 + FEATURE_NAMES.length * 48 + 8);
        b.position(headerLength);
        if (format.backingFile() != null && format.backingFormat() != null) {
            extension(b, EXT_BACKING_FORMAT, format.backingFormat().getBytes(StandardCharsets.UTF_8));
        }
        if (format.version() >= 3 && format.clusterSize() >= FEATURE_TABLE_MIN_CLUSTER) {
            ByteBuffer table = buffer(FEATURE_NAMES.length * 48);
            for (int i = 0; i < FEATURE_NAMES.length; i++) {
                table.put(i * 48, (byte) (int) (Integer) FEATURE_NAMES[i][0]);
                table.put(i * 48 + 1, (byte) (int) (Integer) FEATURE_NAMES[i][1]);
                table.put(i * 48 + 2, ((String) FEATURE_NAMES[i][2]).getBytes(StandardCharsets.US_ASCII));
            }
            extension(b, EXT_FEATURE_TABLE, table.array());
        }
        b.putLong(0);
        byte[] bytes = new byte[b.position()];
        b.get(0, bytes);
        return bytes;
    }

    private static void extension(ByteBuffer b, int type, byte[] data) {
        b.putInt(type).putInt(data.length).put(data);
        b.position(b.position() + ((8 - data.length % 8) % 8));
    }

    private static int nameBytes(Format format) {
        return format.backingFile() == null ? 0 : format.backingFile().getBytes(StandardCharsets.UTF_8).length;
    }

    private static long ceilDiv(long a, long b) {
        return (a + b - 1) / b;
    }
}
