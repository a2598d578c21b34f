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
        if (!parsed.errors().isEmpty()) {
            throw new CliError(parsed.errors().getFirst());
        }
        if (parsed.values().size() != 1 || !parsed.values().getFirst().isObject()) {
            throw new CliError("JSON parse error, expecting value");
        }
        return parsed.values().getFirst();
    }
}
