package org.fleece.transactions;

import java.util.ArrayList;
import java.util.List;

/**
 * The engine every state change goes through: actions are prepared in order;
 * if one fails, those already prepared abort in reverse order, so the graph,
 * bitmaps and jobs are exactly as before, and the failure is the answer.
 */
public final class Transaction {
    private Transaction() {
    }

    public static void run(List<? extends Action> actions) {
        List<Action> prepared = new ArrayList<>();
        try {
            for (Action action : actions) {
                action.prepare();
                prepared.add(action);
            }
        } catch (RuntimeException e) {
            for (Action action : prepared.reversed()) {
                action.abort();
            }
            prepared.forEach(Action::clean);
            throw e;
        }
        prepared.forEach(Action::commit);
        prepared.forEach(Action::clean);
    }

    public static void run(Action action) {
        run(List.of(action));
    }
}
