package org.fleece.block.backup;

/** QEMU's MirrorSyncMode as backup uses it; incremental arrives here as BITMAP with on-success. */
public enum SyncMode {
    TOP, FULL, NONE, BITMAP
}
