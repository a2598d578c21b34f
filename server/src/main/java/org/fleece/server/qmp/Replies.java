package org.fleece.server.qmp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.fleece.qapi.QmpError;

import java.time.Instant;

/** The shapes of what a monitor sends: replies, errors, events. */
public final class Replies {
    private static final JsonNodeFactory JSON = JsonNodeFactory.instance;

    private Replies() {
    }

    /** {"return": value, "id": id}; a missing value is {}; the id only when the request had one (null included). */
    public static ObjectNode success(JsonNode value, JsonNode id) {
        ObjectNode reply = JSON.objectNode();
        reply.set("return", value == null ? JSON.objectNode() : value);
        if (id != null) {
            reply.set("id", id);
        }
        return reply;
    }

    public static ObjectNode error(QmpError error, JsonNode id) {
        ObjectNode reply = JSON.objectNode();
        reply.putObject("error").put("class", error.errorClass().name()).put("desc", error.desc());
        if (id != null) {
            reply.set("id", id);
        }
        return reply;
    }

    /** An event stamped with the host's real-time clock, as QEMU stamps them; no "data" when there is none. */
    public static ObjectNode event(String name, ObjectNode data) {
        Instant now = Instant.now();
        ObjectNode event = JSON.objectNode();
        event.putObject("timestamp").put("seconds", now.getEpochSecond()).put("microseconds", now.getNano() / 1000);
        event.put("event", name);
        if (data != null && !data.isEmpty()) {
            event.set("data", data);
        }
        return event;
    }
}
