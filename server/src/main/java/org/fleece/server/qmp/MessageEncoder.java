package org.fleece.server.qmp;

import com.fasterxml.jackson.databind.JsonNode;
import org.fleece.qapi.json.QmpJsonWriter;

/** A message as it goes on the wire: QEMU's JSON style, ended by CRLF (libvirt splits on it). */
final class MessageEncoder {
    private MessageEncoder() {
    }

    private static final byte[] CRLF = {'\r', '\n'};

    static byte[] encode(JsonNode message, boolean pretty) {
        QmpJsonWriter writer = new QmpJsonWriter().write(message);
        byte[] bytes = java.util.Arrays.copyOf(writer.array(), writer.length() + 2);
        System.arraycopy(CRLF, 0, bytes, writer.length(), 2);
        return bytes;
    }
}
