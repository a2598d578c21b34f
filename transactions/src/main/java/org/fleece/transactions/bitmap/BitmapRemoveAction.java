package org.fleece.transactions.bitmap;

import org.fleece.block.BlockGraph;
import org.fleece.block.BlockNode;
import org.fleece.block.bitmap.BitmapChecks;
import org.fleece.block.bitmap.DirtyBitmap;
import org.fleece.transactions.Action;

/**
 * block-dirty-bitmap-remove: until the transaction commits, the bitmap stays
 * but is busy, so later actions can neither use nor re-add it (as in QEMU).
 * A persistent bitmap leaves the image in prepare, as in QEMU, so a failure
 * there fails the transaction; after an abort the bitmap is still persistent
 * and goes back into the image when it closes.
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
        BitmapChecks.notBusy(found);
        BitmapChecks.writable(found);
        if (found.persistent()) {
            owner.driver().removePersistentBitmap(found.name());
        }
        found.setBusy(true);
        bitmap = found;
    }

    @Override
    public void commit() {
        bitmap.setBusy(false);
        owner.bitmaps().remove(bitmap);
    }

    @Override
    public void abort() {
        bitmap.setBusy(false);
    }
}
