package org.fleece.transactions;

import com.fasterxml.jackson.databind.JsonNode;
import org.fleece.block.BlockGraph;
import org.fleece.block.job.JobManager;
import org.fleece.block.job.JobTxn;
import org.fleece.transactions.backup.BackupAction;
import org.fleece.transactions.bitmap.BitmapAddAction;
import org.fleece.transactions.bitmap.BitmapClearAction;
import org.fleece.transactions.bitmap.BitmapMergeAction;
import org.fleece.transactions.bitmap.BitmapRecordingAction;
import org.fleece.transactions.bitmap.BitmapRemoveAction;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executor;
import java.util.function.BiFunction;

/**
 * Every action by its QMP name (TransactionActionKind), built from the
 * action's data as the schema checked it. The same table serves `transaction`
 * and the stand-alone commands, which are transactions of one action.
 */
public final class ActionTable {
    private final Map<String, BiFunction<JsonNode, JobTxn, Action>> actions = new LinkedHashMap<>();
    /** Actions that may run with completion-mode=grouped: those that create jobs. */
    private final Set<String> grouped = Set.of("blockdev-backup");

    public ActionTable(BlockGraph graph, JobManager jobs, Executor control) {
        actions.put("abort", (data, txn) -> new AbortAction());
        actions.put("block-dirty-bitmap-add", (data, txn) -> new BitmapAddAction(graph, text(data, "node"),
                text(data, "name"), data.has("granularity") ? data.get("granularity").asLong() : null,
                data.path("persistent").asBoolean(false), data.path("disabled").asBoolean(false)));
        actions.put("block-dirty-bitmap-remove", (data, txn) -> new BitmapRemoveAction(graph, text(data, "node"),
                text(data, "name")));
        actions.put("block-dirty-bitmap-clear", (data, txn) -> new BitmapClearAction(graph, text(data, "node"),
                text(data, "name")));
        actions.put("block-dirty-bitmap-enable", (data, txn) -> new BitmapRecordingAction(graph, text(data, "node"),
                text(data, "name"), true));
        actions.put("block-dirty-bitmap-disable", (data, txn) -> new BitmapRecordingAction(graph, text(data, "node"),
                text(data, "name"), false));
        actions.put("block-dirty-bitmap-merge", (data, txn) -> new BitmapMergeAction(graph, text(data, "node"),
                text(data, "target"), data.get("bitmaps")));
        actions.put("blockdev-backup", (data, txn) -> new BackupAction(graph, jobs, control, data, txn));
    }

    public Action create(String type, JsonNode data) {
        return create(type, data, null);
    }

    /** @param txn the job transaction shared by the actions of a grouped transaction, or null */
    public Action create(String type, JsonNode data, JobTxn txn) {
        BiFunction<JsonNode, JobTxn, Action> factory = actions.get(type);
        if (factory == null) {
            throw new IllegalArgumentException("no action " + type + " although the schema has it");
        }
        return factory.apply(data, txn);
    }

    public boolean supportsGroupedCompletion(String type) {
        return grouped.contains(type);
    }

    private static String text(JsonNode data, String member) {
        return data.get(member).asText();
    }
}
