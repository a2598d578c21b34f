package org.fleece.block.driver.qcow2;

import org.fleece.qapi.QmpError;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The image header and its extensions as read at open (qcow2.txt, "Header").
 * Fields that change while the image is open (size, L1 and refcount table
 * places, feature bits) live in the driver's state; this record is what the
 * file said, plus the offsets where those fields are rewritten in place.
 */
record Qcow2Header(int version, long backingFileOffset, int backingFileSize, int clusterBits, long size,
                   int cryptMethod, int l1Size, long l1TableOffset, long refcountTableOffset,
                   int refcountTableClusters, int snapshotCount, long snapshotsOffset, long incompatibleFeatures,
                   long compatibleFeatures, long autoclearFeatures, int refcountOrder, int headerLength,
                   int compressionType, String backingFile, String backingFormat, String dataFile,
                   List<FeatureName> featureNames, BitmapsExtension bitmaps) {
    static final int MAGIC = 0x514649fb;
    /** QEMU's limits on table sizes, in bytes. */
    static final long MAX_REFTABLE_SIZE = 8L << 20;
    static final long MAX_L1_SIZE = 32L << 20;

    /** Where the fields the driver rewrites sit in the header. */
    static final int SIZE_OFFSET = 24;
    static final int L1_SIZE_OFFSET = 36;
    static final int L1_TABLE_OFFSET = 40;
    static final int REFCOUNT_TABLE_OFFSET = 48;
    static final int INCOMPATIBLE_OFFSET = 72;
    static final int AUTOCLEAR_OFFSET = 88;

    static final long INCOMPAT_DIRTY = 1;
    static final long INCOMPAT_CORRUPT = 2;
    static final long INCOMPAT_DATA_FILE = 4;
    static final long INCOMPAT_COMPRESSION = 8;
    static final long INCOMPAT_EXTL2 = 16;
    static final long COMPAT_LAZY_REFCOUNTS = 1;
    static final long AUTOCLEAR_BITMAPS = 1;
    static final long AUTOCLEAR_DATA_FILE_RAW = 2;

    static final int EXT_END = 0;
    private static final int EXT_BACKING_FORMAT = 0xe2792aca;
    private static final int EXT_FEATURE_TABLE = 0x6803f857;
    static final int EXT_BITMAPS = 0x23852875;
    private static final int EXT_DATA_FILE = 0x44415441;

    /** One entry of the feature name table: which bit of which feature field, and its name. */
    record FeatureName(int type, int bit, String name) {
    }

    /**
     * The bitmaps extension (qcow2.txt, "Bitmaps extension") as found, its
     * length included, so that opening can refuse a malformed one in QEMU's words.
     */
    record BitmapsExtension(int length, int count, int reserved, long directorySize, long directoryOffset) {
        static final int LENGTH = 24;

        static BitmapsExtension of(int count, long directorySize, long directoryOffset) {
            return new BitmapsExtension(LENGTH, count, 0, directorySize, directoryOffset);
        }

        void writeTo(ByteBuffer out) {
            out.putInt(EXT_BITMAPS).putInt(LENGTH).putInt(count).putInt(0).putLong(directorySize)
                    .putLong(directoryOffset);
        }
    }

    int clusterSize() {
        return 1 << clusterBits;
    }

    int refcountBits() {
        return 1 << refcountOrder;
    }

    /**
     * Parses the first cluster of the image (the header and its extensions
     * must fit in it), refusing what QEMU refuses before it looks at tables.
     */
    static Qcow2Header parse(ByteBuffer first, long fileSize) {
        ByteBuffer b = first.duplicate().order(java.nio.ByteOrder.BIG_ENDIAN);
        if (b.remaining() < 72 || b.getInt(0) != MAGIC) {
            throw QmpError.generic("Image is not in qcow2 format");
        }
        int version = b.getInt(4);
        if (version < 2 || version > 3) {
            throw QmpError.generic("Unsupported qcow2 version " + version);
        }
        int clusterBits = b.getInt(20);
        if (clusterBits < 9 || clusterBits > 21) {
            throw QmpError.generic("Unsupported cluster size: 2^" + clusterBits);
        }
        long incompatible = 0;
        long compatible = 0;
        long autoclear = 0;
        int refcountOrder = 4;
        int headerLength = 72;
        int compressionType = 0;
        if (version == 3) {
            incompatible = b.getLong(72);
            compatible = b.getLong(80);
            autoclear = b.getLong(88);
            refcountOrder = b.getInt(96);
            headerLength = b.getInt(100);
            if (headerLength < 104) {
                throw QmpError.generic("qcow2 header too short");
            }
            if (headerLength > (1 << clusterBits)) {
                throw QmpError.generic("qcow2 header exceeds cluster size");
            }
            if (headerLength > 104) {
                compressionType = b.get(104) & 0xff;
            }
        }
        if (refcountOrder > 6) {
            throw QmpError.generic("Reference count entry width too large; may not exceed 64 bits");
        }
        long backingOffset = b.getLong(8);
        int backingSize = b.getInt(16);
        String backingFormat = null;
        String dataFile = null;
        BitmapsExtension bitmaps = null;
        List<FeatureName> names = new ArrayList<>();
        int limit = backingOffset != 0 ? (int) Math.min(backingOffset, 1 << clusterBits) : 1 << clusterBits;
        int pos = headerLength;
        while (pos + 8 <= limit && pos + 8 <= b.limit()) {
            int type = b.getInt(pos);
            int length = b.getInt(pos + 4);
            pos += 8;
            if (type == EXT_END) {
                break;
            }
            if (length < 0 || pos + length > limit || pos + length > b.limit()) {
                throw QmpError.generic("Could not read qcow2 header: Invalid argument");
            }
            switch (type) {
                case EXT_BACKING_FORMAT -> backingFormat = string(b, pos, length);
                case EXT_DATA_FILE -> dataFile = string(b, pos, length);
                case EXT_BITMAPS -> bitmaps = length < BitmapsExtension.LENGTH
                        ? new BitmapsExtension(length, 0, 0, 0, 0)
                        : new BitmapsExtension(length, b.getInt(pos), b.getInt(pos + 4), b.getLong(pos + 8),
                        b.getLong(pos + 16));
                case EXT_FEATURE_TABLE -> {
                    for (int e = pos; e + 48 <= pos + length; e += 48) {
                        names.add(new FeatureName(b.get(e), b.get(e + 1), string(b, e + 2, 46)));
                    }
                }
                default -> {
                }
            }
            pos += (length + 7) & ~7;
        }
        String backingFile = null;
        if (backingOffset != 0) {
            if (backingSize > 1023 || backingOffset + backingSize > (1L << clusterBits)) {
                throw QmpError.generic("Backing file name too long");
            }
            backingFile = string(b, (int) backingOffset, backingSize);
        }
        return new Qcow2Header(version, backingOffset, backingSize, clusterBits, b.getLong(24), b.getInt(32),
                b.getInt(36), b.getLong(40), b.getLong(48), b.getInt(56), b.getInt(60), b.getLong(64), incompatible,
                compatible, autoclear, refcountOrder, headerLength, compressionType, backingFile, backingFormat,
                dataFile, List.copyOf(names), bitmaps);
    }

    private static String string(ByteBuffer b, int offset, int length) {
        byte[] bytes = new byte[length];
        b.get(offset, bytes);
        int end = 0;
        while (end < length && bytes[end] != 0) {
            end++;
        }
        return new String(bytes, 0, end, StandardCharsets.UTF_8);
    }

    /** "Unsupported qcow2 feature(s): dirty bit, ...": names from the image's own table, else "Unknown incompatible feature: N". */
    String describeIncompatible(long bits) {
        StringBuilder text = new StringBuilder();
        for (int bit = 0; bit < 64; bit++) {
            if ((bits & (1L << bit)) == 0) {
                continue;
            }
            String name = null;
            for (FeatureName f : featureNames) {
                if (f.type() == 0 && f.bit() == bit) {
                    name = f.name();
                }
            }
            if (!text.isEmpty()) {
                text.append(", ");
            }
            text.append(name != null ? name : "Unknown incompatible feature: " + Long.toHexString(1L << bit));
        }
        return text.toString();
    }
}
