package org.fleece.transactions;

/**
 * One change in a transaction (QEMU's TransactionActionDrv). prepare makes the
 * change, visible to the actions after it, or fails leaving no trace; then
 * either commit (every action prepared) or abort (one failed: this one is
 * undone) runs, and clean last. All on the control thread.
 */
public interface Action {
    void prepare();

    default void commit() {
    }

    default void abort() {
    }

    default void clean() {
    }
}
