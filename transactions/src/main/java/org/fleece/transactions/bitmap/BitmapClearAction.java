package org.fleece.transactions.bitmap;

import org.fleece.block.BlockGraph;
import org.fleece.block.bitmap.DirtyBitmap;
import org.fleece.block.bitmap.Granules;
import org.fleece.transactions.Action;

/** block-dirty-bitmap-clear: keeps what the bitmap held until the transaction is over, to put it back on abort. */
public final class BitmapClearAction implements Action {
    private final BlockGraph graph;
    private final String node;
    private final String name;
    private DirtyBitmap bitmap;
    private Granules before;

    public BitmapClearAction(BlockGraph graph, String node, String name) {
        this.graph = graph;
        this.node = node;
        this.name = name;
    }

    @Override
    public void prepare() {
        DirtyBitmap found = BitmapLookup.bitmap(graph, node, name);
        BitmapLookup.modifiable(found);
        before = found.clear();
        bitmap = found;
    }

    @Override
    public void abort() {
        bitmap.restore(before);
    }

    @Override
    public void clean() {
        before = null;
    }
}
