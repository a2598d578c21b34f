package org.fleece.block.bitmap;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The dirty bitmaps of one node, newest first as QEMU lists them. Writers
 * walk the list on every write without a lock; the control thread adds and
 * removes, which copies the list (rare, and small).
 */
public final class NodeBitmaps {
    private final List<DirtyBitmap> bitmaps = new CopyOnWriteArrayList<>();
    private final List<InternalBitmap> internal = new CopyOnWriteArrayList<>();

    public DirtyBitmap find(String name) {
        for (DirtyBitmap bitmap : bitmaps) {
            if (bitmap.name().equals(name)) {
                return bitmap;
            }
        }
        return null;
    }

    public void add(DirtyBitmap bitmap) {
        bitmaps.addFirst(bitmap);
        BitmapHash.prepareInBackground();
    }

    public void remove(DirtyBitmap bitmap) {
        bitmaps.remove(bitmap);
    }

    /** Newest first. */
    public List<DirtyBitmap> all() {
        return List.copyOf(bitmaps);
    }

    public boolean isEmpty() {
        return bitmaps.isEmpty();
    }

    public void addInternal(InternalBitmap bitmap) {
        internal.addFirst(bitmap);
    }

    public void removeInternal(InternalBitmap bitmap) {
        internal.remove(bitmap);
    }

    /**
     * Newest first. Queries list them before the named ones: they come with a
     * filter or job, after the bitmaps a user added.
     */
    public List<InternalBitmap> internal() {
        return List.copyOf(internal);
    }

    /** A write, write-zeroes or discard reached the node. */
    public void markDirty(long offset, long bytes) {
        for (DirtyBitmap bitmap : bitmaps) {
            bitmap.markDirty(offset, bytes);
        }
    }

    public void truncate(long length) {
        for (DirtyBitmap bitmap : bitmaps) {
            bitmap.truncate(length);
        }
    }
}
