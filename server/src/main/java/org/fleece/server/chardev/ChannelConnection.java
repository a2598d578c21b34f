package org.fleece.server.chardev;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.util.concurrent.CompletableFuture;

/**
 * A client on a socket or on stdio: the caller's thread reads and hands the
 * bytes to the frontend, an {@link Outbox} writes. A client that stops sending
 * (as `printf ... | socat` does) still gets every answer before the connection
 * is closed, because the frontend answers each input before the next read.
 */
final class ChannelConnection implements Connection {
    private static final int READ_SIZE = 64 * 1024;

    private final ReadableByteChannel in;
    private final WritableByteChannel out;
    private final Outbox outbox;
    private final CompletableFuture<Void> closed = new CompletableFuture<>();

    ChannelConnection(ReadableByteChannel in, WritableByteChannel out, String name) {
        this.in = in;
        this.out = out;
        this.outbox = new Outbox(out, name, this::closeChannels);
    }

    @Override
    public CompletableFuture<Void> write(byte[] bytes) {
        return outbox.write(bytes);
    }

    @Override
    public void writeNow(byte[] bytes) {
        outbox.writeNow(bytes);
    }

    @Override
    public void close() {
        outbox.closeWhenDrained();
    }

    /** Serves the client until the connection is closed; blocks the calling thread. */
    void serve(Frontend.Handler handler) {
        ByteBuffer buffer = ByteBuffer.allocate(READ_SIZE);
        try {
            while (in.read(buffer.clear()) >= 0) {
                handler.data(buffer.array(), buffer.position());
            }
        } catch (IOException e) {
            // A reset connection ends like one the client closed.
        }
        close();
        closed.join();
        handler.closed();
    }

    private void closeChannels() {
        try {
            out.close();
            in.close();
        } catch (IOException ignored) {
            // Closing a socket whose peer is gone: nothing left to do.
        }
        closed.complete(null);
    }
}
