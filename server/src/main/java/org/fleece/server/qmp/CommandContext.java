package org.fleece.server.qmp;

/** What a command may know of the monitor session that sent it. */
public interface CommandContext {
    /** True once this session finished capabilities negotiation. */
    boolean negotiated();

    /** Ends negotiation, with out-of-band execution on or off. */
    void completeNegotiation(boolean oob);

    /** Runs once the reply to this command has been written (quit closes the daemon then). */
    void afterReply(Runnable action);
}
