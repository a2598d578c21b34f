package org.fleece.block.bitmap;

import org.fleece.qapi.QmpError;

/**
 * QEMU's checks on what may be done with a bitmap (bdrv_dirty_bitmap_check),
 * in QEMU's words: for the bitmap commands and for formats that refuse a
 * change while a stored bitmap could not follow it.
 */
public final class BitmapChecks {
    private BitmapChecks() {
    }

    /** Not used by a job, an export or a removal in progress. */
    public static void notBusy(DirtyBitmap bitmap) {
        if (bitmap.busy()) {
            throw QmpError.generic("Bitmap '" + bitmap.name()
                    + "' is currently in use by another operation and cannot be used");
        }
    }

    public static void writable(DirtyBitmap bitmap) {
        if (bitmap.readonly()) {
            throw QmpError.generic("Bitmap '" + bitmap.name() + "' is readonly and cannot be modified");
        }
    }

    public static void consistent(DirtyBitmap bitmap) {
        if (bitmap.inconsistent()) {
            throw QmpError.generic("Bitmap '" + bitmap.name() + "' is inconsistent and cannot be used")
                    .withHint("Try block-dirty-bitmap-remove to delete this bitmap from disk\n");
        }
    }

    /** QEMU's default check: busy, then read-only, then inconsistent. */
    public static void modifiable(DirtyBitmap bitmap) {
        notBusy(bitmap);
        writable(bitmap);
        consistent(bitmap);
    }
}
