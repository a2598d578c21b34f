package org.fleece.block.driver.qcow2;

import org.fleece.block.Child;
import org.fleece.block.FileRegionSink;

import java.io.IOException;

/**
 * qcow2's writeFileRegion: whole guest clusters handed over as one range of
 * the host file, so a copy into the image goes file to file in the kernel
 * (a backup to a qcow2 target, as QEMU's copy_range does). Clusters already
 * writable in place and following each other are handed over as they are;
 * clusters that all need new ones get one contiguous host run, handed over
 * and linked once the sink has filled it. Partial clusters, mixed runs, or
 * a host run shorter than asked are left to the ordinary write.
 */
final class FileRegionWrite {
    private final Qcow2Metadata metadata;
    private final ClusterClaims claims;
    private final int clusterBits;
    private final boolean zeroFlag;

    FileRegionWrite(Qcow2Metadata metadata, ClusterClaims claims, int clusterBits, boolean zeroFlag) {
        this.metadata = metadata;
        this.claims = claims;
        this.clusterBits = clusterBits;
        this.zeroFlag = zeroFlag;
    }

    boolean write(long offset, long length, FileRegionSink sink) throws IOException {
        long clusterMask = (1L << clusterBits) - 1;
        if (length == 0 || ((offset | length) & clusterMask) != 0 || (length >>> clusterBits) > Integer.MAX_VALUE) {
            return false;
        }
        long cluster = offset >>> clusterBits;
        int count = (int) (length >>> clusterBits);
        long[] entries = new long[count];
        metadata.entries(cluster, count, entries);
        if (L2Entry.inPlaceRun(entries, count, zeroFlag, 1L << clusterBits) == count) {
            return host().writeFileRegion(L2Entry.offset(entries[0]), length, sink);
        }
        ClusterClaims.Claim claim = claims.claim(cluster, count);
        try {
            metadata.entries(cluster, count, entries);
            if (L2Entry.allocatingRun(entries, count, zeroFlag) < count) {
                return false;
            }
            Qcow2Metadata.HostRun allocation = metadata.allocate(count);
            boolean filled = false;
            try {
                if (allocation.count() == count) {
                    metadata.file().grow(allocation.offset() + length);
                    filled = host().writeFileRegion(allocation.offset(), length, sink);
                }
            } finally {
                if (!filled) {
                    // Nothing points at the clusters yet: they go back as they came.
                    metadata.freeLater(allocation.offset(), (long) allocation.count() << clusterBits,
                            Refcounts.DiscardType.NEVER);
                }
            }
            if (filled) {
                metadata.link(cluster, count, allocation.offset(), entries);
            }
            return filled;
        } finally {
            claim.release();
        }
    }

    private Child host() {
        return metadata.file().child();
    }
}
