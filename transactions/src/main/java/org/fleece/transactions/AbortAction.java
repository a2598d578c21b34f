package org.fleece.transactions;

import org.fleece.qapi.QmpError;

/** The `abort` action: fails, so tests can watch every other action undo itself. */
public final class AbortAction implements Action {
    @Override
    public void prepare() {
        throw QmpError.generic("Transaction aborted using Abort action");
    }
}
