package org.fleece.block;

import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The one thread that owns the graph, bitmaps, jobs and exports, like QEMU's
 * main loop. Every QMP command and every graph change runs here, one at a time,
 * so each sees a consistent graph. Data-path I/O never runs here and this thread
 * never waits for it: that is the rule every other class relies on.
 */
public final class ControlThread {
    private final ExecutorService executor;

    public ControlThread() {
        executor = Executors.newSingleThreadExecutor(runnable -> {
            // Not a daemon thread: the process lives as long as its control thread.
            return new Thread(runnable, "fleece-control");
        });
        // Start the thread now: it is what keeps the process alive.
        executor.execute(() -> { });
    }

    public void execute(Runnable task) {
        executor.execute(task);
    }

    public <T> CompletableFuture<T> submit(Callable<T> task) {
        CompletableFuture<T> result = new CompletableFuture<>();
        executor.execute(() -> {
            try {
                result.complete(task.call());
            } catch (Throwable t) {
                result.completeExceptionally(t);
            }
        });
        return result;
    }

    public void shutdown() {
        executor.shutdownNow();
    }
}
