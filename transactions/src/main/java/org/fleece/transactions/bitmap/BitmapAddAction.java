package org.fleece.transactions.bitmap;

import org.fleece.block.BlockGraph;
import org.fleece.block.BlockNode;
import org.fleece.block.bitmap.DirtyBitmap;
import org.fleece.qapi.QmpError;
import org.fleece.transactions.Action;

import java.io.IOException;

/** block-dirty-bitmap-add: the bitmap exists from prepare on, so later actions can use it; abort removes it. */
public final class BitmapAddAction implements Action {
    private final BlockGraph graph;
    private final String node;
    private final String name;
    private final Long granularity;
    private final boolean persistent;
    private final boolean disabled;
    private BlockNode added;
    private DirtyBitmap bitmap;

    public BitmapAddAction(BlockGraph graph, String node, String name, Long granularity, boolean persistent,
                           boolean disabled) {
        this.graph = graph;
        this.node = node;
        this.name = name;
        this.granularity = granularity;
        this.persistent = persistent;
        this.disabled = disabled;
    }

    @Override
    public void prepare() {
        if (name.isEmpty()) {
            throw QmpError.generic("Bitmap name cannot be empty");
        }
        BlockNode target = graph.find(node);
        if (target == null) {
            throw QmpError.generic("Cannot find device='" + node + "' nor node-name='" + node + "'");
        }
        long bytesPerBit = granularity != null ? granularity : defaultGranularity(target);
        if (bytesPerBit < 512 || Long.bitCount(bytesPerBit) != 1) {
            throw QmpError.generic("Granularity must be power of 2 and at least 512");
        }
        if (persistent) {
            target.driver().checkCanStoreBitmap(target.name(), name, bytesPerBit);
        }
        if (target.bitmaps().find(name) != null) {
            throw QmpError.generic("Bitmap already exists: " + name);
        }
        if (name.length() > DirtyBitmap.MAX_NAME_LENGTH) {
            throw QmpError.generic("Bitmap name too long: " + name);
        }
        try {
            bitmap = new DirtyBitmap(name, bytesPerBit, target.length());
        } catch (IOException e) {
            throw QmpError.generic("Could not get length of node '" + target.name() + "'");
        }
        bitmap.setEnabled(!disabled);
        bitmap.setPersistent(persistent);
        target.bitmaps().add(bitmap);
        added = target;
    }

    @Override
    public void abort() {
        added.bitmaps().remove(bitmap);
    }

    /** QEMU's default: the cluster size, kept between 4 KiB and 64 KiB; 64 KiB for nodes without clusters. */
    private static long defaultGranularity(BlockNode node) {
        long cluster = node.driver().clusterSize();
        return cluster > 0 ? Math.min(65536, Math.max(4096, cluster)) : 65536;
    }
}
