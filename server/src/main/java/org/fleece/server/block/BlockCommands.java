package org.fleece.server.block;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import org.fleece.block.BlockGraph;
import org.fleece.block.DebugBlockGraph;
import org.fleece.block.NodeInfo;
import org.fleece.block.NodeStats;
import org.fleece.server.qmp.CommandTable;

import java.util.ArrayList;
import java.util.List;

/**
 * The block graph's commands. query-block and query-blockstats without
 * query-nodes list block backends (guest drives), which a storage daemon has
 * none of: both answer [], as qemu-storage-daemon does.
 */
public final class BlockCommands {
    private final BlockGraph graph;

    public BlockCommands(BlockGraph graph) {
        this.graph = graph;
    }

    public void registerIn(CommandTable table) {
        table.register("blockdev-add", (args, ctx) -> {
            graph.add(args);
            return null;
        }).register("blockdev-del", (args, ctx) -> {
            graph.delete(args.get("node-name").asText());
            return null;
        }).register("blockdev-reopen", (args, ctx) -> {
            List<JsonNode> entries = new ArrayList<>();
            args.get("options").forEach(entries::add);
            graph.reopen(entries);
            return null;
        }).register("query-named-block-nodes",
                (args, ctx) -> NodeInfo.namedNodes(graph, args.path("flat").asBoolean(false)))
                .register("block_resize", (args, ctx) -> {
                    graph.resize(args.has("device") ? args.get("device").asText() : null,
                            args.has("node-name") ? args.get("node-name").asText() : null, args.get("size").asLong());
                    return null;
                })
                .register("x-debug-query-block-graph", (args, ctx) -> DebugBlockGraph.of(graph))
                .register("query-block", (args, ctx) -> JsonNodeFactory.instance.arrayNode())
                .register("query-blockstats", (args, ctx) -> args.path("query-nodes").asBoolean(false)
                        ? NodeStats.allNodes(graph) : JsonNodeFactory.instance.arrayNode());
    }
}
