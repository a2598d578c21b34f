package org.fleece.block;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;

/** query-named-block-nodes' BlockDeviceInfo for a node, with the fields and values QEMU 7.2 reports. */
public final class NodeInfo {
    private static final JsonNodeFactory JSON = JsonNodeFactory.instance;

    private NodeInfo() {
    }

    public static ArrayNode namedNodes(BlockGraph graph) {
        ArrayNode list = JSON.arrayNode();
        for (BlockNode node : graph.nodes()) {
            list.add(of(node));
        }
        return list;
    }

    static ObjectNode of(BlockNode node) {
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
        info.put("backing_file_depth", backingDepth(node));
        info.put("encrypted", false);
        info.put("detect_zeroes", options.detectZeroes());
        for (String limit : new String[] {"bps", "bps_rd", "bps_wr", "iops", "iops_rd", "iops_wr"}) {
            info.put(limit, 0);
        }
        info.set("image", image(node));
        info.putObject("cache").put("writeback", true).put("direct", options.cacheDirect())
                .put("no-flush", options.cacheNoFlush());
        info.put("write_threshold", 0);
        return info;
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
        BlockNode backing = node.children().get("backing");
        if (backing != null) {
            image.set("backing-image", image(backing));
        }
        return image;
    }

    private static int backingDepth(BlockNode node) {
        int depth = 0;
        for (BlockNode below = node.children().get("backing"); below != null; below = below.children().get("backing")) {
            depth++;
        }
        return depth;
    }
}
