package org.fleece.block.bitmap;

/**
 * A bitmap the block layer keeps for itself on a node (block-copy's copy
 * bitmap, copy-before-write's access and done bitmaps): queries list it
 * without a name, never recording, as QEMU lists its anonymous bitmaps.
 */
public interface InternalBitmap {
    long granularity();

    /** Bytes set. */
    long count();
}
