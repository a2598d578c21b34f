package org.fleece.transactions.bitmap;

import org.fleece.block.BlockGraph;
import org.fleece.block.bitmap.DirtyBitmap;
import org.fleece.transactions.Action;

/** block-dirty-bitmap-enable and -disable: abort puts back whether it was recording. */
public final class BitmapRecordingAction implements Action {
    private final BlockGraph graph;
    private final String node;
    private final String name;
    private final boolean enable;
    private DirtyBitmap bitmap;
    private boolean wasEnabled;

    public BitmapRecordingAction(BlockGraph graph, String node, String name, boolean enable) {
        this.graph = graph;
        this.node = node;
        this.name = name;
        this.enable = enable;
    }

    @Override
    public void prepare() {
        DirtyBitmap found = BitmapLookup.bitmap(graph, node, name);
        BitmapLookup.usable(found);
        wasEnabled = found.enabled();
        found.setEnabled(enable);
        bitmap = found;
    }

    @Override
    public void abort() {
        bitmap.setEnabled(wasEnabled);
    }
}
