package org.fleece.server.chardev;

import java.util.concurrent.CompletableFuture;

/**
 * One client of a character device, as a monitor sees it. Callbacks from the
 * connection arrive on one thread at a time (its event loop); {@link #write}
 * may be called from any thread and keeps the order of calls.
 */
public interface Connection {
    /** Sends bytes; completes when they were handed to the operating system. */
    CompletableFuture<Void> write(byte[] bytes);

    /** Runs a task on the thread that delivers this connection's callbacks. */
    void runOnContext(Runnable task);

    /** Stops delivering input until {@link #resume()}: the client's sends then back up in the socket. */
    void pause();

    void resume();

    void close();
}
