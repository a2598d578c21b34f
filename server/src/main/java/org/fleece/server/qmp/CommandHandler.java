package org.fleece.server.qmp;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Runs one QMP command on the control thread with arguments the schema has
 * already checked. Returns the value for "return" (null means {}), or throws
 * {@link org.fleece.qapi.QmpError}.
 */
@FunctionalInterface
public interface CommandHandler {
    JsonNode run(JsonNode arguments, CommandContext context);
}
