package org.fleece.transactions.bitmap;

import org.fleece.block.BlockGraph;
import org.fleece.block.BlockNode;
import org.fleece.block.bitmap.DirtyBitmap;
import org.fleece.transactions.Action;

/**
 * block-dirty-bitmap-remove: until the transaction commits, the bitmap stays
 * but is busy, so later actions can neither use nor re-add it (as in QEMU).
 */
public final class BitmapRemoveAction implements Action {
    private final BlockGraph graph;
    private final String node;
    private final String name;
    private BlockNode owner;
    private DirtyBitmap bitmap;

    public BitmapRemoveAction(BlockGraph graph, String node, String name) {
        this.graph = graph;
        this.node = node;
        this.name = name;
    }

    @Override
    public void prepare() {
        owner = BitmapLookup.node(graph, node);
        DirtyBitmap found = BitmapLookup.bitmap(owner, name);
        BitmapLookup.notBusy(found);
        BitmapLookup.writable(found);
        found.setBusy(true);
        bitmap = found;
    }

    @Override
    public void commit() {
        bitmap.setBusy(false);
        owner.bitmaps().remove(bitmap);
        if (bitmap.persistent()) {
            owner.driver().removePersistentBitmap(bitmap.name());
        }
    }

    @Override
    public void abort() {
        bitmap.setBusy(false);
    }
}
