package org.fleece.server.qmp;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import org.fleece.block.ControlThread;
import org.fleece.qapi.schema.Schema;
import org.fleece.server.chardev.NullChardev;
import org.fleece.server.chardev.Connection;
import org.fleece.server.chardev.Frontend;
import org.fleece.server.control.ControlCommands;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** A monitor session driven in-process, through a connection that records what the client would read. */
class QmpSessionTest {
    private static final Schema SCHEMA = Schema.fleece();
    private final ControlThread control = new ControlThread();
    private final Events events = new Events();
    private final CountDownLatch quitRequested = new CountDownLatch(1);
    private final Monitor monitor;

    QmpSessionTest() {
        CommandTable table = new CommandTable();
        new ControlCommands(SCHEMA, ControlCommands.version("test"), List::of, quitRequested::countDown)
                .registerIn(table);
        monitor = new Monitor(new NullChardev("test"), false, new Dispatcher(SCHEMA, table), control, events,
                ControlCommands.version("test"));
    }

    @AfterEach
    void stop() {
        control.shutdown();
    }

    /** Records the client's view: every message as text, without its CRLF. */
    private static final class Client implements Connection {
        final List<String> received = new CopyOnWriteArrayList<>();

        @Override
        public CompletableFuture<Void> write(byte[] bytes) {
            String text = new String(bytes, StandardCharsets.US_ASCII);
            assertThat(text).endsWith("\r\n");
            received.add(text.substring(0, text.length() - 2));
            return CompletableFuture.completedFuture(null);
        }

        @Override
        public void writeNow(byte[] bytes) {
            write(bytes);
        }

        @Override
        public void close() {
        }
    }

    private static void send(Frontend.Handler session, String text) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        session.data(bytes, bytes.length);
    }

    @Test
    void greetsThenAnswersInOrderIncludingParseErrors() {
        Client client = new Client();
        Frontend.Handler session = monitor.connected(client);
        send(session, "{\"execute\":\"query-version\"}{\"execute\":\"qmp_capabilities\"}{\"execute\": }"
                + "{'execute':'query-version','id':7}");

        assertThat(client.received).containsExactly(
                "{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 0, \"minor\": 2, \"major\": 7}, \"package\": \"Fleece test\"},"
                        + " \"capabilities\": [\"oob\"]}}",
                "{\"error\": {\"class\": \"CommandNotFound\", \"desc\": \"Expecting capabilities negotiation with 'qmp_capabilities'\"}}",
                "{\"return\": {}}",
                "{\"error\": {\"class\": \"GenericError\", \"desc\": \"JSON parse error, expecting value\"}}",
                "{\"return\": {\"qemu\": {\"micro\": 0, \"minor\": 2, \"major\": 7}, \"package\": \"Fleece test\"}, \"id\": 7}");
    }

    @Test
    void aRequestSplitAcrossReadsIsAnsweredOnceComplete() {
        Client client = new Client();
        Frontend.Handler session = monitor.connected(client);
        send(session, "{\"execute\":\"qmp_capa");
        assertThat(client.received).hasSize(1);
        send(session, "bilities\"}");
        assertThat(client.received).containsExactly(client.received.get(0), "{\"return\": {}}");
    }

    @Test
    void eventsReachOnlyNegotiatedSessions() throws Exception {
        Client negotiated = new Client();
        Client negotiating = new Client();
        send(monitor.connected(negotiated), "{\"execute\":\"qmp_capabilities\"}");
        monitor.connected(negotiating);

        control.submit(() -> events.emit("SHUTDOWN",
                JsonNodeFactory.instance.objectNode().put("guest", false).put("reason", "host-qmp-quit"))).get();

        assertThat(negotiated.received).hasSize(3);
        assertThat(negotiated.received.get(2)).matches(
                "\\{\"timestamp\": \\{\"seconds\": \\d+, \"microseconds\": \\d+}, \"event\": \"SHUTDOWN\", "
                        + "\"data\": \\{\"guest\": false, \"reason\": \"host-qmp-quit\"}}");
        assertThat(negotiating.received).hasSize(1);
    }

    @Test
    void quitActsOnlyAfterItsReplyWasWritten() throws Exception {
        Client client = new Client();
        Frontend.Handler session = monitor.connected(client);
        send(session, "{\"execute\":\"qmp_capabilities\"}{\"execute\":\"quit\",\"id\":\"q\"}");
        assertThat(client.received).last().isEqualTo("{\"return\": {}, \"id\": \"q\"}");
        assertThat(quitRequested.await(5, TimeUnit.SECONDS)).isTrue();
    }

    @Test
    void negotiationTwiceIsRefusedAndTheSessionGoesOn() {
        Client client = new Client();
        Frontend.Handler session = monitor.connected(client);
        send(session, "{\"execute\":\"qmp_capabilities\",\"arguments\":{\"enable\":[\"oob\"]}}"
                + "{\"execute\":\"qmp_capabilities\"}{\"exec-oob\":\"query-version\",\"id\":1}");
        assertThat(client.received).containsExactly(client.received.get(0), "{\"return\": {}}",
                "{\"error\": {\"class\": \"CommandNotFound\", \"desc\": \"Capabilities negotiation is already complete, command ignored\"}}",
                "{\"id\": 1, \"error\": {\"class\": \"GenericError\", \"desc\": \"The command query-version does not support OOB\"}}");
    }
}
