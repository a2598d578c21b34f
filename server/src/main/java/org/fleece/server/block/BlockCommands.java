package org.fleece.server.block;

import org.fleece.block.BlockGraph;
import org.fleece.block.NodeInfo;
import org.fleece.server.qmp.CommandTable;

/** The block graph's commands: blockdev-add, blockdev-del, query-named-block-nodes. */
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
        }).register("query-named-block-nodes", (args, ctx) -> NodeInfo.namedNodes(graph));
    }
}
