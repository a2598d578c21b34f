package org.fleece.server.chardev;

import java.util.concurrent.CompletableFuture;

/**
 * One client of a character device, as a monitor sees it. Input arrives on
 * the connection's own reader thread; {@link #write} may be called from any
 * thread, never blocks, and keeps the order of calls.
 */
public interface Connection {
    /** Queues bytes for the client; completes once they were handed to the operating system. */
    CompletableFuture<Void> write(byte[] bytes);

    /**
     * Writes bytes after everything queued, on the calling thread when it can;
     * only the connection's reader thread calls it, and it may block.
     */
    void writeNow(byte[] bytes);

    /** Closes the connection once everything queued has been written. */
    void close();
}
