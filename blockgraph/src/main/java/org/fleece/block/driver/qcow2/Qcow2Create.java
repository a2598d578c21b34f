package org.fleece.block.driver.qcow2;

import com.fasterxml.jackson.databind.JsonNode;
import org.fleece.block.BlockBackend;
import org.fleece.block.BlockNode;
import org.fleece.block.ImageCreator;
import org.fleece.block.Permission;
import org.fleece.qapi.QmpError;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * blockdev-create for qcow2: checks the options with QEMU's rules in QEMU's
 * order, then formats the `file` node. As in QEMU, a size that cannot be
 * given (negative, too large, an L1 table past the limit) or a backing file
 * name that does not fit leaves a valid image behind (empty, or without the
 * backing file) and fails the job.
 */
public final class Qcow2Create {
    private static final int MIN_CLUSTER_BITS = 9;
    private static final int MAX_CLUSTER_BITS = 21;
    private static final int MIN_EXTL2_CLUSTER_SIZE = 16384;
    private static final int MAX_BACKING_NAME = 1023;
    /** QEMU's largest node length: INT64_MAX rounded down to 1 GiB less than 2^63. */
    private static final long MAX_LENGTH = Long.MAX_VALUE - (1L << 30) + 1;
    private static final int ZERO_CHUNK = 1 << 20;
    private static final String V3_NEEDED = " (use version=v3 or greater)";

    private Qcow2Create() {
    }

    public static void create(JsonNode options, ImageCreator.Context context) throws IOException {
        BlockNode file = context.onControlThread(() -> context.graph().openReference(options.get("file")));
        try {
            Qcow2Layout.Format format = check(options, context);
            BlockBackend user = context.onControlThread(() -> context.graph().attachBackend(file, "",
                    Permission.WRITE.bit() | Permission.RESIZE.bit(), Permission.ALL));
            try {
                format(user, format, options);
            } finally {
                context.onControlThread(() -> {
                    user.detach();
                    return null;
                });
            }
        } finally {
            context.onControlThread(() -> {
                context.graph().releaseReference(file);
                return null;
            });
        }
    }

    /** QEMU's checks, in its order; returns what the header will say. */
    private static Qcow2Layout.Format check(JsonNode o, ImageCreator.Context context) {
        long size = o.get("size").asLong();
        if (size % 512 != 0) {
            throw QmpError.generic("Image size must be a multiple of 512 bytes");
        }
        int version = o.path("version").asText("v3").equals("v2") ? 2 : 3;
        long clusterSize = o.path("cluster-size").asLong(65536);
        if (clusterSize < 1L << MIN_CLUSTER_BITS || clusterSize > 1L << MAX_CLUSTER_BITS
                || Long.bitCount(clusterSize) != 1) {
            throw QmpError.generic("Cluster size must be a power of two between " + (1 << MIN_CLUSTER_BITS)
                    + " and " + ((1 << MAX_CLUSTER_BITS) >> 10) + "k");
        }
        boolean extendedL2 = o.path("extended-l2").asBoolean(false);
        if (extendedL2) {
            if (version < 3) {
                throw QmpError.generic("Extended L2 entries are only supported with compatibility level 1.1 and above"
                        + V3_NEEDED);
            }
            if (clusterSize < MIN_EXTL2_CLUSTER_SIZE) {
                throw QmpError.generic("Extended L2 entries are only supported with cluster sizes of at least "
                        + MIN_EXTL2_CLUSTER_SIZE + " bytes");
            }
        }
        String prealloc = o.path("preallocation").asText("off");
        boolean hasBacking = o.has("backing-file");
        if (hasBacking && !prealloc.equals("off") && !extendedL2) {
            throw QmpError.generic("Backing file and preallocation can only be used at the same time if extended_l2 is on");
        }
        if (o.has("backing-fmt") && !hasBacking) {
            throw QmpError.generic("Backing format cannot be used without backing file");
        }
        boolean lazy = o.path("lazy-refcounts").asBoolean(false);
        if (version < 3 && lazy) {
            throw QmpError.generic("Lazy refcounts only supported with compatibility level 1.1 and above" + V3_NEEDED);
        }
        long refcountBits = o.path("refcount-bits").asLong(16);
        if (refcountBits > 64 || refcountBits <= 0 || Long.bitCount(refcountBits) != 1) {
            throw QmpError.generic("Refcount width must be a power of two and may not exceed 64 bits");
        }
        if (version < 3 && refcountBits != 16) {
            throw QmpError.generic("Different refcount widths than 16 bits require compatibility level 1.1 or above"
                    + V3_NEEDED);
        }
        boolean dataFileRaw = o.path("data-file-raw").asBoolean(false);
        if (dataFileRaw && !o.has("data-file")) {
            throw QmpError.generic("data-file-raw requires data-file");
        }
        if (dataFileRaw && hasBacking) {
            throw QmpError.generic("Backing file and data-file-raw cannot be used at the same time");
        }
        if (o.has("data-file")) {
            if (version < 3) {
                throw QmpError.generic("External data files are only supported with compatibility level 1.1 and above"
                        + V3_NEEDED);
            }
            BlockNode dataFile = context.onControlThread(() -> context.graph().openReference(o.get("data-file")));
            context.onControlThread(() -> {
                context.graph().releaseReference(dataFile);
                return null;
            });
            throw QmpError.generic("Fleece cannot create qcow2 images with an external data file");
        }
        boolean zstd = o.path("compression-type").asText("zlib").equals("zstd");
        if (zstd && version < 3) {
            throw QmpError.generic("Non-zlib compression type is only supported with compatibility level 1.1 and above"
                    + V3_NEEDED);
        }
        if (extendedL2) {
            throw QmpError.generic("Fleece cannot create qcow2 images with extended L2 entries");
        }
        if (o.has("encrypt")) {
            if (!o.get("encrypt").has("key-secret")) {
                throw QmpError.generic("Parameter 'encrypt.key-secret' is required for cipher");
            }
            throw QmpError.generic("Fleece does not support encrypted qcow2 images");
        }
        return new Qcow2Layout.Format(version, Long.numberOfTrailingZeros(clusterSize),
                Long.numberOfTrailingZeros(refcountBits), lazy, zstd,
                hasBacking ? o.get("backing-file").asText() : null,
                o.has("backing-fmt") ? o.get("backing-fmt").asText() : null);
    }

    private static void format(BlockBackend user, Qcow2Layout.Format format, JsonNode o) throws IOException {
        long size = o.get("size").asLong();
        Qcow2Layout.Format bare = new Qcow2Layout.Format(format.version(), format.clusterBits(),
                format.refcountOrder(), format.lazyRefcounts(), format.zstd(), null, null);
        String sizeError = sizeError(size, format.clusterBits());
        if (sizeError != null) {
            write(user, Qcow2Layout.of(bare, 0, false));
            throw QmpError.generic("Could not resize image: " + sizeError);
        }
        String prealloc = o.path("preallocation").asText("off");
        boolean preallocate = !prealloc.equals("off");
        String backingError = format.backingFile() == null ? null : backingError(format);
        Qcow2Layout layout = Qcow2Layout.of(backingError == null ? format : bare, size, preallocate);
        write(user, layout);
        for (Qcow2Layout.DataRun run : layout.dataRuns()) {
            switch (prealloc) {
                case "falloc" -> user.writeZeroes(run.offset(), run.length(), 0);
                case "full" -> writeZeroes(user, run);
                default -> {
                }
            }
        }
        user.flush();
        if (backingError != null) {
            throw QmpError.generic("Could not assign backing file '" + format.backingFile() + "' with format '"
                    + (format.backingFormat() == null ? "(null)" : format.backingFormat()) + "': " + backingError);
        }
    }

    /** What QEMU's resize of the new image says about the size, or null when it can have it. */
    private static String sizeError(long size, int clusterBits) {
        if (size < 0) {
            return "Image size cannot be negative";
        }
        if (size > MAX_LENGTH) {
            return "offset(" + size + ") exceeds maximum(" + MAX_LENGTH + ")";
        }
        if (Qcow2Layout.l1Entries(size, clusterBits) * 8 > Qcow2Header.MAX_L1_SIZE) {
            return "Failed to grow the L1 table: File too large";
        }
        return null;
    }

    private static String backingError(Qcow2Layout.Format format) {
        if (format.backingFile().getBytes(java.nio.charset.StandardCharsets.UTF_8).length > MAX_BACKING_NAME) {
            return "Invalid argument";
        }
        if (Qcow2Layout.headerBytes(format) > format.clusterSize()) {
            return "No space left on device";
        }
        return null;
    }

    private static void write(BlockBackend user, Qcow2Layout layout) throws IOException {
        BlockNode file = user.node();
        if (file.length() < layout.end()) {
            file.driver().truncate(layout.end());
        }
        for (Qcow2Layout.Write w : layout.writes()) {
            user.write(w.offset(), w.data().duplicate().clear(), 0);
        }
        // QEMU opens what it wrote before going on: a node that does not keep data fails here.
        ByteBuffer header = ByteBuffer.allocate(layout.clusterSize());
        user.read(0, header);
        Qcow2Header.parse(header.clear(), file.length());
    }

    private static void writeZeroes(BlockBackend user, Qcow2Layout.DataRun run) throws IOException {
        ByteBuffer zeroes = ByteBuffer.allocate((int) Math.min(ZERO_CHUNK, run.length()));
        for (long at = 0; at < run.length(); at += zeroes.capacity()) {
            user.write(run.offset() + at, zeroes.clear().limit((int) Math.min(zeroes.capacity(), run.length() - at)), 0);
        }
    }
}
