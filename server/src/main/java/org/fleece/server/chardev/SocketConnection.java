package org.fleece.server.chardev;

import io.vertx.core.Context;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetSocket;

import java.util.concurrent.CompletableFuture;

/** A client on a Vert.x socket; its callbacks run on the socket's event loop. */
final class SocketConnection implements Connection {
    private final NetSocket socket;
    private final Context context;

    SocketConnection(NetSocket socket, Context context) {
        this.socket = socket;
        this.context = context;
    }

    @Override
    public CompletableFuture<Void> write(byte[] bytes) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        socket.write(Buffer.buffer(bytes)).onComplete(result -> done.complete(null));
        return done;
    }

    @Override
    public void runOnContext(Runnable task) {
        context.runOnContext(ignored -> task.run());
    }

    @Override
    public void pause() {
        socket.pause();
    }

    @Override
    public void resume() {
        socket.resume();
    }

    @Override
    public void close() {
        socket.close();
    }

    NetSocket socket() {
        return socket;
    }
}
