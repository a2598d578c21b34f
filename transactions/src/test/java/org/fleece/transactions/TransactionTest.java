package org.fleece.transactions;

import org.fleece.qapi.QmpError;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The engine's contract: prepare in order; on failure abort the prepared in reverse; clean every prepared one. */
class TransactionTest {
    private final List<String> log = new ArrayList<>();

    private Action action(String name, boolean fails) {
        return new Action() {
            @Override
            public void prepare() {
                log.add("prepare " + name);
                if (fails) {
                    throw QmpError.generic(name + " failed");
                }
            }

            @Override
            public void commit() {
                log.add("commit " + name);
            }

            @Override
            public void abort() {
                log.add("abort " + name);
            }

            @Override
            public void clean() {
                log.add("clean " + name);
            }
        };
    }

    @Test
    void allPreparedThenAllCommittedThenAllCleaned() {
        Transaction.run(List.of(action("a", false), action("b", false)));
        assertThat(log).containsExactly("prepare a", "prepare b", "commit a", "commit b", "clean a", "clean b");
    }

    @Test
    void aFailureAbortsWhatWasPreparedInReverseAndNothingElse() {
        assertThatThrownBy(() -> Transaction.run(List.of(action("a", false), action("b", false), action("c", true),
                action("d", false)))).hasMessage("c failed");
        assertThat(log).containsExactly("prepare a", "prepare b", "prepare c", "abort b", "abort a", "clean a",
                "clean b");
    }

    @Test
    void anEmptyTransactionDoesNothing() {
        Transaction.run(List.of());
        assertThat(log).isEmpty();
    }
}
