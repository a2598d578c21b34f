package org.fleece.server.qmp;

import com.fasterxml.jackson.databind.JsonNode;
import org.fleece.block.ControlThread;
import org.fleece.qapi.QmpError;
import org.fleece.server.chardev.Connection;
import org.fleece.server.chardev.Frontend;
import org.fleece.server.qmp.json.JsonStreamParser;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * One client's QMP conversation: greeting, negotiation, then requests answered
 * one at a time in the order they came, each run on the control thread.
 * Input is parsed as it arrives; when more than {@link #QUEUE_LIMIT} requests
 * wait, reading stops until they are done, as QEMU's monitor does.
 * <p>
 * Threads: everything but {@link #send} runs on the connection's event loop.
 */
final class QmpSession implements Frontend.Handler, CommandContext {
    private static final Logger LOG = LoggerFactory.getLogger(QmpSession.class);
    private static final int QUEUE_LIMIT = 8;

    private final Monitor monitor;
    private final Connection connection;
    private final JsonStreamParser parser;
    private final ArrayDeque<Object> pending = new ArrayDeque<>();
    private final List<Runnable> afterReply = new ArrayList<>();
    private volatile boolean negotiated;
    private volatile boolean oobEnabled;
    private boolean busy;
    private boolean paused;
    private boolean closed;
    private boolean inputEnded;

    QmpSession(Monitor monitor, Connection connection) {
        this.monitor = monitor;
        this.connection = connection;
        this.parser = new JsonStreamParser(new JsonStreamParser.Sink() {
            @Override
            public void onValue(JsonNode value) {
                pending.add(value);
            }

            @Override
            public void onError(String desc) {
                pending.add(QmpError.generic(desc));
            }
        });
        send(monitor.greeting());
    }

    @Override
    public void data(byte[] bytes, int length) {
        parser.feed(bytes, 0, length);
        pump();
    }

    @Override
    public void inputEnded() {
        inputEnded = true;
        pump();
    }

    @Override
    public void closed() {
        closed = true;
        pending.clear();
        monitor.events().forget(this);
    }

    private void pump() {
        while (!busy && !pending.isEmpty()) {
            Object next = pending.poll();
            if (next instanceof QmpError parseError) {
                send(Replies.error(parseError, null));
            } else {
                handle((JsonNode) next);
            }
        }
        if (inputEnded && !busy && pending.isEmpty() && !closed) {
            closed = true;
            connection.close();
            return;
        }
        if (!paused && pending.size() >= QUEUE_LIMIT) {
            paused = true;
            connection.pause();
        } else if (paused && pending.size() < QUEUE_LIMIT) {
            paused = false;
            connection.resume();
        }
    }

    private void handle(JsonNode request) {
        Dispatcher.Call call;
        try {
            call = monitor.dispatcher().prepare(request, negotiated, oobEnabled);
        } catch (Dispatcher.Rejected rejected) {
            send(Replies.error(rejected.error(), rejected.id()));
            return;
        }
        busy = true;
        ControlThread control = monitor.control();
        control.execute(() -> {
            JsonNode reply;
            try {
                reply = Replies.success(call.handler().run(call.arguments(), this), call.id());
            } catch (QmpError e) {
                reply = Replies.error(e, call.id());
            } catch (RuntimeException | StackOverflowError e) {
                LOG.error("command {} failed", call.command().name(), e);
                reply = Replies.error(QmpError.generic("Internal error: " + e), call.id());
            }
            CompletableFuture<Void> written = send(reply);
            if (!afterReply.isEmpty()) {
                List<Runnable> actions = List.copyOf(afterReply);
                afterReply.clear();
                written.whenComplete((v, e) -> control.execute(() -> actions.forEach(Runnable::run)));
            }
            connection.runOnContext(() -> {
                busy = false;
                if (!closed) {
                    pump();
                }
            });
        });
    }

    /** Writes one message; may be called from any thread. */
    private CompletableFuture<Void> send(JsonNode message) {
        return send(monitor.encode(message));
    }

    CompletableFuture<Void> send(byte[] encoded) {
        return connection.write(encoded);
    }

    @Override
    public boolean negotiated() {
        return negotiated;
    }

    @Override
    public void completeNegotiation(boolean oob) {
        oobEnabled = oob;
        negotiated = true;
        monitor.events().listen(this);
    }

    @Override
    public void afterReply(Runnable action) {
        afterReply.add(action);
    }

    boolean pretty() {
        return monitor.pretty();
    }
}
