package org.fleece.transactions.bitmap;

import com.fasterxml.jackson.databind.JsonNode;
import org.fleece.block.BlockGraph;
import org.fleece.block.BlockNode;
import org.fleece.block.bitmap.DirtyBitmap;
import org.fleece.block.bitmap.Granules;
import org.fleece.qapi.QmpError;
import org.fleece.transactions.Action;

import java.util.ArrayList;
import java.util.List;

/**
 * block-dirty-bitmap-merge: sources are names on the target's node or
 * {node, name} objects anywhere. Every source is checked before the target
 * changes, so a bad source leaves the target as it was; abort restores the
 * target's old bits.
 */
public final class BitmapMergeAction implements Action {
    private final BlockGraph graph;
    private final String node;
    private final String target;
    private final JsonNode sources;
    private DirtyBitmap bitmap;
    private Granules before;

    public BitmapMergeAction(BlockGraph graph, String node, String target, JsonNode sources) {
        this.graph = graph;
        this.node = node;
        this.target = target;
        this.sources = sources;
    }

    @Override
    public void prepare() {
        BlockNode owner = BitmapLookup.node(graph, node);
        DirtyBitmap destination = BitmapLookup.bitmap(owner, target);
        if (sources.isEmpty()) {
            // qemu-storage-daemon 7.2 crashes here; an empty merge is a mistake worth saying so.
            throw QmpError.generic("Parameter 'bitmaps' must name at least one bitmap to merge");
        }
        List<DirtyBitmap> found = new ArrayList<>();
        for (JsonNode source : sources) {
            DirtyBitmap bitmapSource = source.isTextual() ? BitmapLookup.bitmap(owner, source.asText())
                    : BitmapLookup.bitmap(graph, source.get("node").asText(), source.get("name").asText());
            // QEMU 7.2's order, source by source: find it, then check the target, then the source.
            BitmapLookup.modifiable(destination);
            BitmapLookup.usable(bitmapSource);
            if (bitmapSource.length() != destination.length()) {
                throw QmpError.generic("Bitmaps are of different sizes (destination size is " + destination.length()
                        + ", source size is " + bitmapSource.length() + ") and can't be merged");
            }
            found.add(bitmapSource);
        }
        before = destination.backup();
        found.forEach(destination::mergeFrom);
        bitmap = destination;
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
