package org.fleece.transactions;

import com.fasterxml.jackson.databind.JsonNode;
import org.fleece.block.BlockGraph;
import org.fleece.transactions.bitmap.BitmapAddAction;
import org.fleece.transactions.bitmap.BitmapClearAction;
import org.fleece.transactions.bitmap.BitmapMergeAction;
import org.fleece.transactions.bitmap.BitmapRecordingAction;
import org.fleece.transactions.bitmap.BitmapRemoveAction;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * Every action by its QMP name (TransactionActionKind), built from the
 * action's data as the schema checked it. The same table serves `transaction`
 * and the stand-alone commands, which are transactions of one action.
 */
public final class ActionTable {
    private final Map<String, Function<JsonNode, Action>> actions = new LinkedHashMap<>();
    /** Actions that may run with completion-mode=grouped (jobs, once they exist). */
    private final Set<String> grouped = Set.of();

    public ActionTable(BlockGraph graph) {
        actions.put("abort", data -> new AbortAction());
        actions.put("block-dirty-bitmap-add", data -> new BitmapAddAction(graph, text(data, "node"),
                text(data, "name"), data.has("granularity") ? data.get("granularity").asLong() : null,
                data.path("persistent").asBoolean(false), data.path("disabled").asBoolean(false)));
        actions.put("block-dirty-bitmap-remove", data -> new BitmapRemoveAction(graph, text(data, "node"),
                text(data, "name")));
        actions.put("block-dirty-bitmap-clear", data -> new BitmapClearAction(graph, text(data, "node"),
                text(data, "name")));
        actions.put("block-dirty-bitmap-enable", data -> new BitmapRecordingAction(graph, text(data, "node"),
                text(data, "name"), true));
        actions.put("block-dirty-bitmap-disable", data -> new BitmapRecordingAction(graph, text(data, "node"),
                text(data, "name"), false));
        actions.put("block-dirty-bitmap-merge", data -> new BitmapMergeAction(graph, text(data, "node"),
                text(data, "target"), data.get("bitmaps")));
    }

    public Action create(String type, JsonNode data) {
        Function<JsonNode, Action> factory = actions.get(type);
        if (factory == null) {
            throw new IllegalArgumentException("no action " + type + " although the schema has it");
        }
        return factory.apply(data);
    }

    public boolean supportsGroupedCompletion(String type) {
        return grouped.contains(type);
    }

    private static String text(JsonNode data, String member) {
        return data.get(member).asText();
    }
}
