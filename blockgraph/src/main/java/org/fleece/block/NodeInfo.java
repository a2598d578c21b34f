package org.fleece.block;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.fleece.block.bitmap.DirtyBitmap;
import org.fleece.block.bitmap.InternalBitmap;

import java.io.IOException;

/** query-named-block-nodes' BlockDeviceInfo for a node, with the fields and values QEMU 7.2 reports. */
public final class NodeInfo {
    private static final JsonNodeFactory JSON = JsonNodeFactory.instance;

    private NodeInfo() {
    }

    /** flat: without the backing-image chain, as query-named-block-nodes' flat asks. */
    public static ArrayNode namedNodes(BlockGraph graph, boolean flat) {
        ArrayNode list = JSON.arrayNode();
        for (BlockNode node : graph.nodes()) {
            list.add(of(node, flat));
        }
        return list;
    }

    static ObjectNode of(BlockNode node, boolean flat) {
        BlockDriver driver = node.driver();
        NodeOptions options = node.options();
        ObjectNode info = JSON.objectNode();
        info.put("file", driver.filename());
        info.put("node-name", node.name());
        info.put("ro", node.readOnly());
        info.put("drv", driver.name());
        BlockNode backing = node.children().get("backing");
        if (backing != null) {
            info.put("backing_file", backing.driver().filename());
        }
        ObjectNode image = image(node);
        int depth = 0;
        if (!flat) {
            // A filter's child and a backing file alike show as the backing image, level by level, as in QEMU.
            ObjectNode innermost = image;
            for (BlockNode n = node.filteredOrBackingChild(); n != null; n = n.filteredOrBackingChild()) {
                ObjectNode child = image(n);
                innermost.set("backing-image", child);
                innermost = child;
                depth++;
            }
        }
        info.put("backing_file_depth", depth);
        // Upstream QEMU lists the children newest edge first.
        ArrayNode children = info.putArray("children");
        for (Child edge : node.childEdges().reversed()) {
            children.addObject().put("child", edge.role()).put("node-name", edge.node().name());
        }
        info.put("encrypted", false);
        info.put("detect_zeroes", options.detectZeroes());
        for (String limit : new String[] {"bps", "bps_rd", "bps_wr", "iops", "iops_rd", "iops_wr"}) {
            info.put(limit, 0);
        }
        info.set("image", image);
        info.putObject("cache").put("writeback", true).put("direct", options.cacheDirect())
                .put("no-flush", options.cacheNoFlush());
        info.put("write_threshold", 0);
        if (!node.bitmaps().isEmpty() || !node.bitmaps().internal().isEmpty()) {
            ArrayNode bitmaps = info.putArray("dirty-bitmaps");
            node.bitmaps().internal().forEach(bitmap -> bitmaps.add(internal(bitmap)));
            node.bitmaps().all().forEach(bitmap -> bitmaps.add(bitmap(bitmap)));
        }
        return info;
    }

    private static ObjectNode internal(InternalBitmap bitmap) {
        ObjectNode entry = JSON.objectNode();
        entry.put("recording", false);
        entry.put("persistent", false);
        entry.put("busy", false);
        entry.put("granularity", bitmap.granularity());
        entry.put("count", bitmap.count());
        return entry;
    }

    /** BlockDirtyInfo: "inconsistent" only when it is true, as QEMU reports it. */
    private static ObjectNode bitmap(DirtyBitmap bitmap) {
        ObjectNode entry = JSON.objectNode();
        entry.put("name", bitmap.name());
        entry.put("recording", bitmap.recording());
        entry.put("persistent", bitmap.persistent());
        entry.put("busy", bitmap.busy());
        entry.put("granularity", bitmap.granularity());
        entry.put("count", bitmap.count());
        if (bitmap.inconsistent()) {
            entry.put("inconsistent", true);
        }
        return entry;
    }

    private static ObjectNode image(BlockNode node) {
        BlockDriver driver = node.driver();
        ObjectNode image = JSON.objectNode();
        image.put("filename", driver.filename());
        image.put("format", driver.name());
        try {
            image.put("virtual-size", node.length());
            long allocated = driver.allocatedBytes();
            if (allocated >= 0) {
                image.put("actual-size", allocated);
            }
        } catch (IOException e) {
            image.put("virtual-size", 0);
        }
        if (driver.reportsDirtyFlag()) {
            image.put("dirty-flag", false);
        }
        driver.describeImage(image);
        return image;
    }
}
