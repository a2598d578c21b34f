package org.fleece.block.driver;

import org.fleece.block.Errno;

import java.util.Set;

/**
 * One rule of a blkdebug node, attached to an event. A rule applies only in
 * its state (0: in any state). Rules are compared by identity: two rules
 * with the same fields are still two rules, and firing one removes only it.
 */
sealed interface BlkdebugRule {
    long state();

    /**
     * Makes requests fail once its event fired: those of the given types that
     * cover the byte at offset (-1: any request). A null errno (errno 0)
     * matches but fails nothing. once: the rule goes after it failed a request.
     */
    record InjectError(long state, Errno errno, long offset, Set<BlkdebugIOType> types, boolean once)
            implements BlkdebugRule {
        boolean matches(long requestOffset, long bytes, BlkdebugIOType type) {
            boolean covers = offset == -1 || (bytes > 0 && offset >= requestOffset && offset - requestOffset < bytes);
            return covers && types.contains(type);
        }
    }

    /** Moves the node to newState when its event fires. */
    record SetState(long state, long newState) implements BlkdebugRule {
    }

    /** A breakpoint: holds the next request that reaches its event, in any state, and goes. */
    record Suspend(String tag) implements BlkdebugRule {
        @Override
        public long state() {
            return 0;
        }
    }
}
