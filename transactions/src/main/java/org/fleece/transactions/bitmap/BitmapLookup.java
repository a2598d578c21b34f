package org.fleece.transactions.bitmap;

import org.fleece.block.BlockGraph;
import org.fleece.block.BlockNode;
import org.fleece.block.bitmap.BitmapChecks;
import org.fleece.block.bitmap.DirtyBitmap;
import org.fleece.qapi.QmpError;

/** Finding a node's bitmap, and QEMU's checks on what a command may do with it, in QEMU's order and words. */
public final class BitmapLookup {
    private BitmapLookup() {
    }

    public static BlockNode node(BlockGraph graph, String node) {
        BlockNode found = graph.find(node);
        if (found == null) {
            throw QmpError.generic("Node '" + node + "' not found");
        }
        return found;
    }

    public static DirtyBitmap bitmap(BlockGraph graph, String node, String name) {
        return bitmap(node(graph, node), name);
    }

    public static DirtyBitmap bitmap(BlockNode node, String name) {
        DirtyBitmap bitmap = node.bitmaps().find(name);
        if (bitmap == null) {
            throw QmpError.generic("Dirty bitmap '" + name + "' not found");
        }
        return bitmap;
    }

    /** QEMU's default check: busy, then read-only, then inconsistent. */
    public static void modifiable(DirtyBitmap bitmap) {
        BitmapChecks.modifiable(bitmap);
    }

    /** What enable, disable and merge sources need: a read-only bitmap will do. */
    public static void usable(DirtyBitmap bitmap) {
        BitmapChecks.notBusy(bitmap);
        BitmapChecks.consistent(bitmap);
    }
}
