package org.fleece.server.qmp;

import com.fasterxml.jackson.databind.JsonNode;
import org.fleece.qapi.QmpError;
import org.fleece.qapi.json.JsonStreamParser;
import org.fleece.server.chardev.Connection;
import org.fleece.server.chardev.Frontend;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * One client's QMP conversation: greeting, negotiation, then requests answered
 * one at a time in the order they came, each run on the control thread. Input
 * is parsed as it arrives and the next input is read only when every complete
 * request before it has been answered, as QEMU's monitor stops reading while a
 * command runs.
 * <p>
 * Threads: {@link #data} and {@link #closed} run on the connection's reader
 * thread; commands and {@link CommandContext} calls on the control thread.
 */
final class QmpSession implements Frontend.Handler, CommandContext {
    private static final Logger LOG = LoggerFactory.getLogger(QmpSession.class);

    private final Monitor monitor;
    private final Connection connection;
    private final JsonStreamParser parser;
    private final ArrayDeque<Object> pending = new ArrayDeque<>();
    /** Filled on the control thread, run after the reader wrote the reply (join() orders the two). */
    private final List<Runnable> afterReply = new ArrayList<>();
    private volatile boolean negotiated;
    private volatile boolean oobEnabled;

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
        while (!pending.isEmpty()) {
            Object next = pending.poll();
            if (next instanceof QmpError parseError) {
                send(Replies.error(parseError, null));
            } else {
                handle((JsonNode) next);
            }
        }
    }

    @Override
    public void closed() {
        monitor.events().forget(this);
    }

    private void handle(JsonNode request) {
        Dispatcher.Call call;
        try {
            call = monitor.dispatcher().prepare(request, negotiated, oobEnabled);
        } catch (Dispatcher.Rejected rejected) {
            send(Replies.error(rejected.error(), rejected.id()));
            return;
        }
        JsonNode reply = monitor.control().submit(() -> run(call)).join();
        connection.writeNow(monitor.encode(reply));
        if (!afterReply.isEmpty()) {
            List<Runnable> actions = List.copyOf(afterReply);
            afterReply.clear();
            monitor.control().execute(() -> actions.forEach(Runnable::run));
        }
    }

    /**
     * On the control thread. The reader writes the reply once this returns, after
     * the events the command emitted, and then starts what was left for after it.
     */
    private JsonNode run(Dispatcher.Call call) {
        JsonNode reply;
        try {
            reply = Replies.success(call.handler().run(call.arguments(), this), call.id());
        } catch (QmpError e) {
            reply = Replies.error(e, call.id());
        } catch (RuntimeException | StackOverflowError e) {
            LOG.error("command {} failed", call.command().name(), e);
            reply = Replies.error(QmpError.generic("Internal error: " + e), call.id());
        }
        return reply;
    }

    private CompletableFuture<Void> send(JsonNode message) {
        return send(monitor.encode(message));
    }

    /** Queues one message for the client; any thread. */
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
