package org.fleece.server.chardev;

import io.vertx.core.Context;
import io.vertx.core.Vertx;

import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.locks.LockSupport;

/**
 * The daemon's standard input and output as one connection (`--chardev stdio`),
 * as scripts that pipe QMP into the daemon use it. Standard input is read on a
 * thread of its own and handed to an event loop, so the monitor sees the same
 * threading as on a socket.
 */
public final class StdioChardev implements Chardev {
    private final Vertx vertx;
    private final String id;
    private final OutputStream out = new FileOutputStream(FileDescriptor.out);
    private Frontend frontend;
    private volatile boolean paused;

    public StdioChardev(Vertx vertx, String id) {
        this.vertx = vertx;
        this.id = id;
    }

    @Override
    public String id() {
        return id;
    }

    @Override
    public String filename() {
        return "stdio";
    }

    @Override
    public boolean frontendOpen() {
        return frontend != null;
    }

    @Override
    public void attach(Frontend frontend) {
        this.frontend = frontend;
    }

    @Override
    public CompletableFuture<Void> open() {
        Context context = vertx.getOrCreateContext();
        Thread reader = new Thread(() -> read(context), "fleece-stdio");
        reader.setDaemon(true);
        reader.start();
        return CompletableFuture.completedFuture(null);
    }

    private void read(Context context) {
        Connection connection = new Connection() {
            @Override
            public CompletableFuture<Void> write(byte[] bytes) {
                synchronized (out) {
                    try {
                        out.write(bytes);
                        out.flush();
                    } catch (IOException ignored) {
                        // Nobody reads our output any more; input end-of-file ends the session.
                    }
                }
                return CompletableFuture.completedFuture(null);
            }

            @Override
            public void runOnContext(Runnable task) {
                context.runOnContext(v -> task.run());
            }

            @Override
            public void pause() {
                paused = true;
            }

            @Override
            public void resume() {
                paused = false;
                LockSupport.unpark(readerThread);
            }

            @Override
            public void close() {
            }
        };
        readerThread = Thread.currentThread();
        CompletableFuture<Frontend.Handler> handler = new CompletableFuture<>();
        context.runOnContext(v -> handler.complete(frontend != null ? frontend.connected(connection) : Frontend.IGNORE));
        Frontend.Handler h = handler.join();
        InputStream in = new FileInputStream(FileDescriptor.in);
        byte[] buffer = new byte[65536];
        try {
            int n;
            while ((n = in.read(buffer)) > 0) {
                byte[] chunk = java.util.Arrays.copyOf(buffer, n);
                context.runOnContext(v -> h.data(chunk, chunk.length));
                while (paused) {
                    LockSupport.park(this);
                }
            }
        } catch (IOException ignored) {
            // A broken standard input ends the session like end-of-file.
        }
        context.runOnContext(v -> h.closed());
    }

    private volatile Thread readerThread;

    @Override
    public void close() {
    }
}
