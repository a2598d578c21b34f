package org.fleece.server.cli;

import com.fasterxml.jackson.databind.JsonNode;
import org.fleece.qapi.json.JsonStreamParser;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** An option value given as JSON ("--blockdev {...}"), read with QMP's parser and its error texts. */
public final class JsonOption {
    private JsonOption() {
    }

    public static JsonNode parse(String text) {
        List<JsonNode> values = new ArrayList<>();
        List<String> errors = new ArrayList<>();
        JsonStreamParser parser = new JsonStreamParser(new JsonStreamParser.Sink() {
            @Override
            public void onValue(JsonNode value) {
                values.add(value);
            }

            @Override
            public void onError(String desc) {
                errors.add(desc);
            }
        });
        parser.feed(text.getBytes(StandardCharsets.UTF_8));
        parser.feed(new byte[] {'\n'});
        if (!errors.isEmpty()) {
            throw new CliError(errors.getFirst());
        }
        if (values.size() != 1 || !values.getFirst().isObject()) {
            throw new CliError("JSON parse error, expecting value");
        }
        return values.getFirst();
    }
}
