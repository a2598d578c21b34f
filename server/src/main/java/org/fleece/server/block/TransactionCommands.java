package org.fleece.server.block;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import org.fleece.block.BlockGraph;
import org.fleece.block.bitmap.BitmapHash;
import org.fleece.block.job.JobManager;
import org.fleece.block.job.JobTxn;
import org.fleece.qapi.QmpError;
import org.fleece.server.qmp.CommandTable;
import org.fleece.transactions.Action;
import org.fleece.transactions.ActionTable;
import org.fleece.transactions.Transaction;
import org.fleece.transactions.bitmap.BitmapLookup;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;

/**
 * `transaction` and the commands that are transactions of one action (the
 * bitmap commands), plus the bitmap hash for tests. A transaction runs with
 * every node drained, as in QEMU, so no write lands between its actions.
 */
public final class TransactionCommands {
    private static final String[] SINGLE_ACTIONS = {"block-dirty-bitmap-add", "block-dirty-bitmap-remove",
        "block-dirty-bitmap-clear", "block-dirty-bitmap-enable", "block-dirty-bitmap-disable",
        "block-dirty-bitmap-merge", "blockdev-backup"};

    private final BlockGraph graph;
    private final ActionTable actions;
    private final JobManager jobs;

    public TransactionCommands(BlockGraph graph, JobManager jobs, Executor control) {
        this.graph = graph;
        this.jobs = jobs;
        this.actions = new ActionTable(graph, jobs, control);
    }

    public void registerIn(CommandTable table) {
        table.register("transaction", (args, ctx) -> {
            transaction(args);
            return null;
        });
        for (String name : SINGLE_ACTIONS) {
            table.register(name, (args, ctx) -> {
                Action action = actions.create(name, args);
                drained(List.of(action));
                return null;
            });
        }
        table.register("x-debug-block-dirty-bitmap-sha256", (args, ctx) -> JsonNodeFactory.instance.objectNode()
                .put("sha256", BitmapHash.sha256(BitmapLookup.bitmap(graph, args.get("node").asText(),
                        args.get("name").asText()))));
    }

    private void transaction(JsonNode args) {
        String mode = args.path("properties").path("completion-mode").asText("individual");
        if (!mode.equals("individual")) {
            for (JsonNode action : args.get("actions")) {
                String type = action.get("type").asText();
                if (!actions.supportsGroupedCompletion(type)) {
                    throw QmpError.generic("Action '" + type
                            + "' does not support Transaction property completion-mode = " + mode);
                }
            }
        }
        JobTxn group = mode.equals("grouped") ? new JobTxn() : null;
        List<Action> list = new ArrayList<>();
        for (JsonNode action : args.get("actions")) {
            list.add(actions.create(action.get("type").asText(), action.get("data"), group));
        }
        drained(list);
    }

    /** As QEMU: every node drained while the actions run; jobs they started resume when that ends. */
    private void drained(List<Action> list) {
        try {
            graph.drainedAll(() -> Transaction.run(list));
        } finally {
            jobs.drainEnd();
        }
    }
}
