package org.fleece.server.chardev;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.net.NetClientOptions;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetServerOptions;
import io.vertx.core.net.NetSocket;
import io.vertx.core.net.SocketAddress;
import io.vertx.core.internal.net.NetSocketInternal;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * A socket character device, UNIX or TCP, listening (server=on) or connecting.
 * Like QEMU's, it serves one client at a time: later clients are accepted but
 * hear nothing until the clients before them have left.
 */
public final class SocketChardev implements Chardev {
    private static final Logger LOG = LoggerFactory.getLogger(SocketChardev.class);

    private final Vertx vertx;
    private final ChardevOptions options;
    private final Deque<Waiting> waiting = new ArrayDeque<>();
    private final CompletableFuture<Void> firstClient = new CompletableFuture<>();
    private Frontend frontend;
    private NetServer server;
    private int boundPort;
    private volatile SocketConnection active;
    private volatile boolean closed;
    /** A client is served or about to be: guarded by this. */
    private boolean busy;

    public SocketChardev(Vertx vertx, ChardevOptions options) {
        this.vertx = vertx;
        this.options = options;
    }

    @Override
    public String id() {
        return options.id();
    }

    @Override
    public String filename() {
        SocketConnection current = active;
        String local = options.path() != null ? "unix:" + options.path()
                : "tcp:" + options.host() + ":" + (boundPort != 0 ? boundPort : options.port());
        String mode = options.server() ? local + ",server=on" : local;
        if (current == null) {
            return "disconnected:" + mode;
        }
        if (options.path() != null) {
            return mode;
        }
        SocketAddress peer = current.socket().remoteAddress();
        return options.server() ? mode + " <-> " + peer.host() + ":" + peer.port() : mode;
    }

    @Override
    public boolean frontendOpen() {
        return frontend != null;
    }

    @Override
    public void attach(Frontend frontend) {
        this.frontend = frontend;
    }

    private SocketAddress address() {
        if (options.path() != null) {
            return SocketAddress.domainSocketAddress(options.path());
        }
        return SocketAddress.inetSocketAddress(Integer.parseInt(options.port()), options.host());
    }

    @Override
    public CompletableFuture<Void> open() {
        return options.server() ? listen() : connect();
    }

    private CompletableFuture<Void> listen() {
        CompletableFuture<Void> ready = new CompletableFuture<>();
        if (options.path() != null) {
            try {
                Files.deleteIfExists(Path.of(options.path()));
            } catch (IOException e) {
                ready.completeExceptionally(new IOException("Failed to unlink socket " + options.path(), e));
                return ready;
            }
        }
        NetServerOptions serverOptions = new NetServerOptions().setTcpNoDelay(true).setReuseAddress(true);
        vertx.createNetServer(serverOptions).connectHandler(this::accepted).listen(address()).onComplete(result -> {
            if (result.failed()) {
                ready.completeExceptionally(new IOException("Failed to bind socket to "
                        + (options.path() != null ? options.path() : options.host() + ":" + options.port())
                        + ": " + result.cause().getMessage(), result.cause()));
                return;
            }
            server = result.result();
            boundPort = server.actualPort();
            if (!options.waitForClient()) {
                ready.complete(null);
            } else {
                LOG.info("waiting for connection on: {}", filename());
                firstClient.whenComplete((v, e) -> ready.complete(null));
            }
        });
        return ready;
    }

    private CompletableFuture<Void> connect() {
        CompletableFuture<Void> ready = new CompletableFuture<>();
        vertx.createNetClient(new NetClientOptions().setTcpNoDelay(true)).connect(address()).onComplete(result -> {
            if (result.failed()) {
                ready.completeExceptionally(new IOException("Failed to connect to '"
                        + (options.path() != null ? options.path() : options.host() + ":" + options.port())
                        + "': " + result.cause().getMessage(), result.cause()));
                return;
            }
            accepted(result.result());
            ready.complete(null);
        });
        return ready;
    }

    private void accepted(NetSocket socket) {
        if (closed) {
            socket.close();
            return;
        }
        Waiting client = new Waiting(socket, vertx.getOrCreateContext());
        synchronized (this) {
            if (busy) {
                socket.pause();
                waiting.add(client);
                socket.closeHandler(v -> {
                    synchronized (this) {
                        waiting.remove(client);
                    }
                });
                return;
            }
            busy = true;
            activate(client);
        }
    }

    /** A client accepted while another is served, with the event loop its socket lives on. */
    private record Waiting(NetSocket socket, Context context) {
    }

    /** Called with the lock held. */
    private void activate(Waiting client) {
        NetSocket socket = client.socket();
        SocketConnection connection = new SocketConnection(socket, client.context());
        active = connection;
        firstClient.complete(null);
        Frontend.Handler handler = frontend != null ? frontend.connected(connection) : Frontend.IGNORE;
        socket.handler(buffer -> {
            byte[] bytes = buffer.getBytes();
            handler.data(bytes, bytes.length);
        });
        socket.closeHandler(v -> {
            handler.closed();
            disconnected();
        });
        answerAfterHalfClose(socket, handler);
        socket.resume();
    }

    /**
     * Netty closes a connection as soon as the peer stops sending; QEMU goes on
     * answering. Vert.x does not expose half-closure, so it is set on its channel.
     */
    private static void answerAfterHalfClose(NetSocket socket, Frontend.Handler handler) {
        if (!(socket instanceof NetSocketInternal internal)) {
            return;
        }
        ChannelHandlerContext channel = internal.channelHandlerContext();
        channel.channel().config().setOption(ChannelOption.ALLOW_HALF_CLOSURE, true);
        channel.pipeline().addFirst(new ChannelInboundHandlerAdapter() {
            @Override
            public void userEventTriggered(ChannelHandlerContext ctx, Object event) throws Exception {
                if (event instanceof ChannelInputShutdownEvent) {
                    handler.inputEnded();
                }
                super.userEventTriggered(ctx, event);
            }
        });
    }

    private void disconnected() {
        synchronized (this) {
            active = null;
            Waiting next = waiting.poll();
            busy = next != null && !closed;
            if (busy) {
                next.context().runOnContext(v -> {
                    synchronized (this) {
                        activate(next);
                    }
                });
                return;
            }
        }
        if (!options.server() && options.reconnectSeconds() > 0 && !closed) {
            vertx.setTimer(TimeUnit.SECONDS.toMillis(options.reconnectSeconds()), id -> connect());
        }
    }

    @Override
    public void close() {
        closed = true;
        if (server != null) {
            server.close();
        }
        if (options.server() && options.path() != null) {
            try {
                Files.deleteIfExists(Path.of(options.path()));
            } catch (IOException e) {
                LOG.warn("cannot remove socket {}: {}", options.path(), e.getMessage());
            }
        }
    }
}
