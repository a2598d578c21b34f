package org.fleece.block.driver.qcow2;

import com.fasterxml.jackson.databind.JsonNode;
import org.fleece.block.Child;
import org.fleece.block.ChildOpener;
import org.fleece.block.Errno;
import org.fleece.block.NodeOptions;
import org.fleece.qapi.QmpError;

import java.io.IOException;
import java.nio.ByteBuffer;

/** Reading and judging an image's header at open, with QEMU's refusals in QEMU's order and words. */
final class Qcow2Open {
    /** Incompatible features Fleece reads and writes. */
    private static final long SUPPORTED = Qcow2Header.INCOMPAT_DIRTY | Qcow2Header.INCOMPAT_CORRUPT
            | Qcow2Header.INCOMPAT_COMPRESSION;
    /** Incompatible features QEMU knows; of these Fleece lacks external data files and extended L2 entries. */
    private static final long KNOWN_TO_QEMU = SUPPORTED | Qcow2Header.INCOMPAT_DATA_FILE | Qcow2Header.INCOMPAT_EXTL2;

    private Qcow2Open() {
    }

    static Qcow2Header readHeader(Child file, JsonNode options, NodeOptions base, ChildOpener children) {
        Qcow2Header header;
        try {
            Qcow2File io = new Qcow2File(file);
            ByteBuffer first = io.readMetadata(0, 1 << 9);
            int clusterBits = first.getInt(20);
            if (first.getInt(0) == Qcow2Header.MAGIC && clusterBits > 9 && clusterBits <= 21) {
                first = io.readMetadata(0, 1 << clusterBits);
            }
            header = Qcow2Header.parse(first, file.length());
        } catch (IOException e) {
            throw QmpError.generic("Could not read qcow2 header: " + Errno.describe(e));
        }
        long incompatible = header.incompatibleFeatures();
        if ((incompatible & ~KNOWN_TO_QEMU) != 0) {
            throw QmpError.generic("Unsupported qcow2 feature(s): " + header.describeIncompatible(incompatible & ~KNOWN_TO_QEMU));
        }
        if ((incompatible & Qcow2Header.INCOMPAT_CORRUPT) != 0 && !base.readOnly()) {
            throw QmpError.generic("qcow2: Image is corrupt; cannot be opened read/write");
        }
        checkTables(header, file);
        checkEncryption(header, options);
        if (options.has("data-file")) {
            // QEMU finds the data file's node before it judges whether the image has one.
            children.open("data-file", options.get("data-file"));
        }
        if ((incompatible & Qcow2Header.INCOMPAT_DATA_FILE) != 0) {
            if (!options.has("data-file")) {
                throw QmpError.generic("'data-file' is required for this image");
            }
            throw QmpError.generic("Unsupported qcow2 feature(s): "
                    + header.describeIncompatible(Qcow2Header.INCOMPAT_DATA_FILE));
        }
        if (options.has("data-file")) {
            throw QmpError.generic("'data-file' can only be set for images with an external data file");
        }
        if ((incompatible & Qcow2Header.INCOMPAT_EXTL2) != 0) {
            throw QmpError.generic("Unsupported qcow2 feature(s): "
                    + header.describeIncompatible(Qcow2Header.INCOMPAT_EXTL2));
        }
        return header;
    }

    private static void checkTables(Qcow2Header header, Child file) {
        long clusterSize = header.clusterSize();
        if ((long) header.refcountTableClusters() * clusterSize > Qcow2Header.MAX_REFTABLE_SIZE) {
            throw QmpError.generic("Reference count table too large");
        }
        if (header.refcountTableClusters() == 0) {
            throw QmpError.generic("Image does not contain a reference count table");
        }
        if (!validTable(header.refcountTableOffset(), (long) header.refcountTableClusters() * clusterSize, clusterSize)) {
            throw QmpError.generic("Invalid reference count table offset");
        }
        if ((long) header.l1Size() * 8 > Qcow2Header.MAX_L1_SIZE || header.l1Size() < 0) {
            throw QmpError.generic("Active L1 table too large");
        }
        long l2Entries = clusterSize / 8;
        long guestClusters = (header.size() + clusterSize - 1) / clusterSize;
        long needed = (guestClusters + l2Entries - 1) / l2Entries;
        if (header.size() < 0 || needed > Integer.MAX_VALUE) {
            throw QmpError.generic("Image is too big");
        }
        if (header.l1Size() < needed) {
            throw QmpError.generic("L1 table is too small");
        }
        if (header.l1Size() > 0 && !validTable(header.l1TableOffset(), header.l1Size() * 8L, clusterSize)) {
            throw QmpError.generic("Invalid L1 table offset");
        }
    }

    private static boolean validTable(long offset, long bytes, long clusterSize) {
        return offset >= 0 && offset % clusterSize == 0 && Long.MAX_VALUE - offset >= bytes;
    }

    private static void checkEncryption(Qcow2Header header, JsonNode options) {
        JsonNode encrypt = options.get("encrypt");
        if (header.cryptMethod() == 0) {
            if (encrypt != null) {
                throw QmpError.generic("No encryption in image header, but options specified format '"
                        + encrypt.path("format").asText() + "'");
            }
            return;
        }
        if (header.cryptMethod() > 2) {
            throw QmpError.generic("Unsupported encryption method: " + header.cryptMethod());
        }
        if (encrypt == null || !encrypt.has("key-secret")) {
            throw QmpError.generic("Parameter 'encrypt.key-secret' is required for cipher");
        }
        throw QmpError.generic("Fleece does not support encrypted qcow2 images");
    }
}
