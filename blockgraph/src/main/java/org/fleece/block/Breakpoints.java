package org.fleece.block;

/**
 * A driver that can hold requests at events (blkdebug): what qemu-io's
 * break, remove_break, resume and wait_break reach. Failures are errnos, as
 * QEMU's bdrv_debug_* functions return them.
 */
public interface Breakpoints {
    /**
     * Told when the request running on this thread stops at a breakpoint.
     * HMP's qemu-io binds it so that the monitor gets control back while the
     * request waits, as QEMU's monitor does when the request's coroutine yields.
     */
    ScopedValue<Runnable> ON_SUSPEND = ScopedValue.newInstance();

    /** The next request that reaches the event stops there under the tag; ENOENT for an unknown event. */
    void breakpoint(String event, String tag) throws BlockIOException;

    /** Drops the tag's breakpoints and resumes its requests; ENOENT when it had no breakpoint. */
    void removeBreakpoint(String tag) throws BlockIOException;

    /** Resumes the newest request stopped under the tag; ENOENT when there is none. */
    void resume(String tag) throws BlockIOException;

    boolean isSuspended(String tag);

    /** Waits until a request is stopped under the tag. */
    void awaitSuspended(String tag);

    /**
     * The breakpoints a command on this node reaches: the first driver that
     * has them on the way down its primary children (QEMU's bdrv_debug_*
     * walk), or null (qemu-io then reports ENOTSUP).
     */
    static Breakpoints below(BlockNode node) {
        for (BlockNode n = node; n != null; n = n.primaryChild()) {
            if (n.driver() instanceof Breakpoints breakpoints) {
                return breakpoints;
            }
        }
        return null;
    }
}
