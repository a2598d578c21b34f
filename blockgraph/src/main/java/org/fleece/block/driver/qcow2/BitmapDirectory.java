package org.fleece.block.driver.qcow2;

import org.fleece.qapi.QmpError;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The bitmap directory (qcow2.txt, "Bitmap directory"): one entry per
 * bitmap, each its fixed fields, then extra data and the name, padded to a
 * multiple of 8 bytes. Parsing refuses what QEMU refuses, with its words.
 */
final class BitmapDirectory {
    static final int FLAG_IN_USE = 1;
    static final int FLAG_AUTO = 2;
    private static final int RESERVED_FLAGS = ~(FLAG_IN_USE | FLAG_AUTO);
    private static final int TYPE_DIRTY_TRACKING = 1;
    /** QEMU's limits (qcow2.h, qcow2-bitmap.c). */
    static final int MAX_BITMAPS = 65535;
    static final long MAX_SIZE = 1024L * MAX_BITMAPS;
    static final int MAX_NAME_BYTES = 1023;
    static final long MAX_TABLE_ENTRIES = 0x8000000;
    static final long MAX_DATA_BYTES = 0x20000000;
    static final int MIN_GRANULARITY_BITS = 9;
    static final int MAX_GRANULARITY_BITS = 31;
    private static final int FIXED_BYTES = 24;

    private BitmapDirectory() {
    }

    /** One bitmap as the directory describes it: where its table is, its flags, granularity and name. */
    record Entry(long tableOffset, int tableSize, int flags, int granularityBits, String name) {
        boolean inUse() {
            return (flags & FLAG_IN_USE) != 0;
        }

        boolean auto() {
            return (flags & FLAG_AUTO) != 0;
        }

        long granularity() {
            return 1L << granularityBits;
        }

        Entry withFlags(int newFlags) {
            return new Entry(tableOffset, tableSize, newFlags, granularityBits, name);
        }

        int size() {
            return entrySize(name);
        }
    }

    static int entrySize(String name) {
        return (FIXED_BYTES + name.getBytes(StandardCharsets.UTF_8).length + 7) & ~7;
    }

    static long size(List<Entry> entries) {
        long bytes = 0;
        for (Entry entry : entries) {
            bytes += entry.size();
        }
        return bytes;
    }

    /**
     * Reads {@code expected} entries (the header extension's count) from the
     * directory's bytes, each checked against the image (QEMU's
     * bitmap_list_load): a node of {@code nodeLength} bytes in clusters of
     * {@code clusterSize}.
     */
    static List<Entry> parse(ByteBuffer bytes, int expected, int clusterSize, long nodeLength) {
        ByteBuffer dir = bytes.duplicate().order(ByteOrder.BIG_ENDIAN);
        int end = dir.limit();
        List<Entry> entries = new ArrayList<>();
        int pos = dir.position();
        while (pos < end) {
            if (pos + FIXED_BYTES > end) {
                throw QmpError.generic("Broken bitmap directory");
            }
            if (entries.size() + 1 > expected) {
                throw QmpError.generic("More bitmaps found than specified in header extension");
            }
            int nameSize = dir.getShort(pos + 18) & 0xffff;
            long extraSize = dir.getInt(pos + 20) & 0xffffffffL;
            long next = pos + ((FIXED_BYTES + nameSize + extraSize + 7) & ~7L);
            if (next > end) {
                throw QmpError.generic("Broken bitmap directory");
            }
            if (extraSize != 0) {
                throw QmpError.generic("Bitmap extra data is not supported");
            }
            byte[] name = new byte[nameSize];
            dir.get(pos + FIXED_BYTES, name);
            String text = new String(name, StandardCharsets.UTF_8);
            Entry entry = new Entry(dir.getLong(pos), dir.getInt(pos + 8), dir.getInt(pos + 12),
                    dir.get(pos + 17) & 0xff, text);
            int type = dir.get(pos + 16) & 0xff;
            if (type != TYPE_DIRTY_TRACKING || nameSize > MAX_NAME_BYTES || !valid(entry, clusterSize, nodeLength)) {
                throw QmpError.generic("Bitmap '" + text + "' doesn't satisfy the constraints");
            }
            entries.add(entry);
            pos = (int) next;
        }
        if (entries.size() != expected) {
            throw QmpError.generic("Less bitmaps found than specified in header extension");
        }
        return entries;
    }

    /**
     * QEMU's check_dir_entry: a table of sane size and place, known flags, a
     * granularity QEMU takes, and (unless the bitmap was left in use) a table
     * that covers the whole node.
     */
    static boolean valid(Entry entry, int clusterSize, long nodeLength) {
        long tableSize = entry.tableSize() & 0xffffffffL;
        if (tableSize == 0 || entry.tableOffset() == 0 || entry.tableOffset() % clusterSize != 0
                || tableSize > MAX_TABLE_ENTRIES || entry.granularityBits() > MAX_GRANULARITY_BITS
                || entry.granularityBits() < MIN_GRANULARITY_BITS || (entry.flags() & RESERVED_FLAGS) != 0) {
            return false;
        }
        long dataBytes = tableSize * clusterSize;
        if (dataBytes > MAX_DATA_BYTES) {
            return false;
        }
        long granules = dataBytes * 8;
        boolean covers = granules > (Long.MAX_VALUE >>> entry.granularityBits())
                || nodeLength <= granules << entry.granularityBits();
        return entry.inUse() || covers;
    }

    static ByteBuffer encode(List<Entry> entries) {
        ByteBuffer dir = ByteBuffer.allocate((int) size(entries)).order(ByteOrder.BIG_ENDIAN);
        for (Entry entry : entries) {
            int start = dir.position();
            byte[] name = entry.name().getBytes(StandardCharsets.UTF_8);
            dir.putLong(entry.tableOffset()).putInt(entry.tableSize()).putInt(entry.flags())
                    .put((byte) TYPE_DIRTY_TRACKING).put((byte) entry.granularityBits())
                    .putShort((short) name.length).putInt(0).put(name);
            dir.position(start + entry.size());
        }
        return dir.flip();
    }
}
