package org.fleece.block.driver.qcow2;

import com.fasterxml.jackson.databind.node.ObjectNode;

/** What query-named-block-nodes shows of a qcow2 image beyond what every format shows (ImageInfo). */
final class Qcow2Info {
    private Qcow2Info() {
    }

    static void describe(Qcow2Driver driver, Qcow2Header header, ObjectNode image) {
        image.put("cluster-size", header.clusterSize());
        if (header.backingFile() != null) {
            image.put("backing-filename", header.backingFile());
            image.put("full-backing-filename", driver.fullBackingFilename());
            if (header.backingFormat() != null) {
                image.put("backing-filename-format", header.backingFormat());
            }
        }
        ObjectNode specific = image.putObject("format-specific");
        specific.put("type", "qcow2");
        ObjectNode data = specific.putObject("data");
        data.put("compat", header.version() >= 3 ? "1.1" : "0.10");
        data.put("compression-type", header.compressionType() == 1 ? "zstd" : "zlib");
        if (header.version() >= 3) {
            data.put("lazy-refcounts", (header.compatibleFeatures() & Qcow2Header.COMPAT_LAZY_REFCOUNTS) != 0);
        }
        data.put("refcount-bits", header.refcountBits());
        if (header.version() >= 3) {
            data.put("corrupt", (header.incompatibleFeatures() & Qcow2Header.INCOMPAT_CORRUPT) != 0);
            data.put("extended-l2", (header.incompatibleFeatures() & Qcow2Header.INCOMPAT_EXTL2) != 0);
            driver.bitmaps().describe(data);
        }
    }
}
