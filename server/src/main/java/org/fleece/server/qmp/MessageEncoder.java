package org.fleece.server.qmp;

import com.fasterxml.jackson.databind.JsonNode;
import org.fleece.qapi.json.QmpJsonWriter;

import java.util.Arrays;

/** A message as it goes on the wire: QEMU's JSON style, ended by CRLF (libvirt splits on it). */
final class MessageEncoder {
    private MessageEncoder() {
    }

    static byte[] encode(JsonNode message, boolean pretty) {
        QmpJsonWriter writer = new QmpJsonWriter(pretty).write(message);
        byte[] bytes = Arrays.copyOf(writer.array(), writer.length() + 2);
        bytes[writer.length()] = '\r';
        bytes[writer.length() + 1] = '\n';
        return bytes;
    }
}
