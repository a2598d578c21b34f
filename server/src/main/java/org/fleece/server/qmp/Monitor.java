package org.fleece.server.qmp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.fleece.block.ControlThread;
import org.fleece.server.chardev.Chardev;
import org.fleece.server.chardev.Connection;
import org.fleece.server.chardev.Frontend;

/** A QMP monitor (--monitor) on a character device: a fresh session for each client. */
public final class Monitor implements Frontend {
    private final Chardev chardev;
    private final boolean pretty;
    private final Dispatcher dispatcher;
    private final ControlThread control;
    private final Events events;
    private final byte[] greeting;

    public Monitor(Chardev chardev, boolean pretty, Dispatcher dispatcher, ControlThread control, Events events,
                   JsonNode version) {
        this.chardev = chardev;
        this.pretty = pretty;
        this.dispatcher = dispatcher;
        this.control = control;
        this.events = events;
        ObjectNode greeting = JsonNodeFactory.instance.objectNode();
        ObjectNode qmp = greeting.putObject("QMP");
        qmp.set("version", version);
        qmp.putArray("capabilities").add("oob");
        this.greeting = encode(greeting);
        chardev.attach(this);
    }

    @Override
    public Handler connected(Connection connection) {
        return new QmpSession(this, connection);
    }

    byte[] greeting() {
        return greeting;
    }

    byte[] encode(JsonNode message) {
        return MessageEncoder.encode(message, pretty);
    }

    boolean pretty() {
        return pretty;
    }

    Dispatcher dispatcher() {
        return dispatcher;
    }

    ControlThread control() {
        return control;
    }

    Events events() {
        return events;
    }

    public Chardev chardev() {
        return chardev;
    }
}
