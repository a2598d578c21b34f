package org.fleece.block;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.List;

/**
 * query-blockstats for nodes. QEMU accounts I/O per block backend, and a
 * storage daemon's nodes have none that query-blockstats lists, so every
 * counter reads 0 as it does in qemu-storage-daemon; what nodes do keep is the
 * highest offset written and the file driver's discard counts.
 */
public final class NodeStats {
    private static final JsonNodeFactory JSON = JsonNodeFactory.instance;
    private static final String[] COUNTERS = {
        "rd_bytes", "wr_bytes", "unmap_bytes", "rd_operations", "wr_operations", "flush_operations",
        "unmap_operations", "rd_total_time_ns", "wr_total_time_ns", "flush_total_time_ns", "unmap_total_time_ns",
        "rd_merged", "wr_merged", "unmap_merged", "failed_rd_operations", "failed_wr_operations",
        "failed_flush_operations", "failed_unmap_operations", "invalid_rd_operations", "invalid_wr_operations",
        "invalid_flush_operations", "invalid_unmap_operations"};

    private NodeStats() {
    }

    /** Every named node, oldest first. */
    public static ArrayNode allNodes(BlockGraph graph) {
        ArrayNode list = JSON.arrayNode();
        List<BlockNode> nodes = graph.nodes();
        for (int i = nodes.size() - 1; i >= 0; i--) {
            list.add(of(nodes.get(i)));
        }
        return list;
    }

    private static ObjectNode of(BlockNode node) {
        ObjectNode entry = JSON.objectNode();
        entry.put("node-name", node.name());
        ObjectNode stats = entry.putObject("stats");
        for (String counter : COUNTERS) {
            stats.put(counter, 0);
        }
        stats.put("wr_highest_offset", node.writeHighestOffset());
        stats.put("account_invalid", false).put("account_failed", false);
        stats.putArray("timed_stats");
        ObjectNode specific = node.driver().statistics();
        if (specific != null) {
            entry.set("driver-specific", specific);
        }
        BlockNode file = node.primaryChild();
        if (file != null) {
            entry.set("parent", of(file));
        }
        return entry;
    }
}
