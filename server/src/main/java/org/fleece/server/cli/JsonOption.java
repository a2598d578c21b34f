package org.fleece.server.cli;

import com.fasterxml.jackson.databind.JsonNode;
import org.fleece.qapi.json.JsonStreamParser;

import java.nio.charset.StandardCharsets;

/** An option value given as JSON ("--blockdev {...}"), read with QMP's parser and its error texts. */
public final class JsonOption {
    private JsonOption() {
    }

    public static JsonNode parse(String text) {
        JsonStreamParser.Parsed parsed = JsonStreamParser.parseText(text.getBytes(StandardCharsets.UTF_8));
        boolean startsWithValue = text.strip().startsWith("{") || text.strip().startsWith("[");
        if (startsWithValue && !parsed.values().isEmpty()
                && (parsed.values().size() > 1 || !parsed.errors().isEmpty())) {
            // QEMU stops at the first complete value and refuses anything after it, even garbage.
            throw new CliError("Expecting at most one JSON value");
        }
        if (!parsed.errors().isEmpty()) {
            throw new CliError(parsed.errors().getFirst());
        }
        if (parsed.values().isEmpty()) {
            // The text ended inside an object or array: QEMU flushes its parser at the end and says so.
            throw new CliError("JSON parse error, premature EOI");
        }
        if (parsed.values().size() != 1 || !parsed.values().getFirst().isObject()) {
            throw new CliError("JSON parse error, expecting value");
        }
        return parsed.values().getFirst();
    }
}
