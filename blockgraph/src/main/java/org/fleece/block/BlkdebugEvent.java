package org.fleece.block;

import java.util.Locale;
import java.util.Optional;

/**
 * The points in a request at which the block layer tells a node's child what
 * is happening (QEMU's BLKDBG_EVENT), in the schema's order. Only a blkdebug
 * child listens. Fleece fires READ_AIO and WRITE_AIO (raw, on its file),
 * FLUSH_TO_OS and FLUSH_TO_DISK (a flush, on the primary child), PWRITEV,
 * PWRITEV_ZERO and PWRITEV_DONE (a write, on the node written) and NONE (once,
 * when a blkdebug node opens); the rest belong to drivers Fleece lacks.
 */
public enum BlkdebugEvent {
    L1_UPDATE,
    L1_GROW_ALLOC_TABLE,
    L1_GROW_WRITE_TABLE,
    L1_GROW_ACTIVATE_TABLE,
    L2_LOAD,
    L2_UPDATE,
    L2_UPDATE_COMPRESSED,
    L2_ALLOC_COW_READ,
    L2_ALLOC_WRITE,
    READ_AIO,
    READ_BACKING_AIO,
    READ_COMPRESSED,
    WRITE_AIO,
    WRITE_COMPRESSED,
    VMSTATE_LOAD,
    VMSTATE_SAVE,
    COW_READ,
    COW_WRITE,
    REFTABLE_LOAD,
    REFTABLE_GROW,
    REFTABLE_UPDATE,
    REFBLOCK_LOAD,
    REFBLOCK_UPDATE,
    REFBLOCK_UPDATE_PART,
    REFBLOCK_ALLOC,
    REFBLOCK_ALLOC_HOOKUP,
    REFBLOCK_ALLOC_WRITE,
    REFBLOCK_ALLOC_WRITE_BLOCKS,
    REFBLOCK_ALLOC_WRITE_TABLE,
    REFBLOCK_ALLOC_SWITCH_TABLE,
    CLUSTER_ALLOC,
    CLUSTER_ALLOC_BYTES,
    CLUSTER_FREE,
    FLUSH_TO_OS,
    FLUSH_TO_DISK,
    PWRITEV_RMW_HEAD,
    PWRITEV_RMW_AFTER_HEAD,
    PWRITEV_RMW_TAIL,
    PWRITEV_RMW_AFTER_TAIL,
    PWRITEV,
    PWRITEV_ZERO,
    PWRITEV_DONE,
    EMPTY_IMAGE_PREPARE,
    L1_SHRINK_WRITE_TABLE,
    L1_SHRINK_FREE_L2_CLUSTERS,
    COR_WRITE,
    CLUSTER_ALLOC_SPACE,
    NONE;

    /** The name the schema and qemu-io's break use ("read_aio"). */
    public String qapiName() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Optional<BlkdebugEvent> find(String qapiName) {
        for (BlkdebugEvent event : values()) {
            if (event.qapiName().equals(qapiName)) {
                return Optional.of(event);
            }
        }
        return Optional.empty();
    }
}
