package org.fleece.qapi.schema;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class IntrospectionTest {
    private static Map<String, JsonNode> byName(ArrayNode entries) {
        Map<String, JsonNode> map = new HashMap<>();
        entries.forEach(e -> assertThat(map.put(e.get("name").asText(), e)).as("unique name").isNull());
        return map;
    }

    @Test
    void describesCommandsWithOpaqueTypeNamesThatResolve() {
        Map<String, JsonNode> schema = byName(Introspection.of(SchemaReader.load("qapi-test", "test.json")));

        JsonNode bitmapAdd = schema.get("bitmap-add");
        assertThat(bitmapAdd.get("meta-type").asText()).isEqualTo("command");
        assertThat(bitmapAdd.get("ret-type").asText()).isEqualTo("0");
        JsonNode args = schema.get(bitmapAdd.get("arg-type").asText());
        assertThat(args.get("meta-type").asText()).isEqualTo("object");
        assertThat(args.get("members").toString()).isEqualTo(
                "[{\"name\":\"node\",\"type\":\"str\"},{\"name\":\"granularity\",\"type\":\"int\",\"default\":null},"
                + "{\"name\":\"ratio\",\"type\":\"number\",\"default\":null},{\"name\":\"level\",\"type\":\"int\",\"default\":null}]");
        assertThat(schema.get("int").get("json-type").asText()).isEqualTo("int");
        assertThat(schema.get("0").get("members")).isEmpty();
        assertThat(schema.get("noargs").get("arg-type").asText()).isEqualTo("0");
    }

    @Test
    void describesUnionsAlternatesArraysAndRecursiveStructs() {
        Map<String, JsonNode> schema = byName(Introspection.of(SchemaReader.load("qapi-test", "test.json")));

        JsonNode union = schema.get(schema.get("blockdev-add").get("arg-type").asText());
        assertThat(union.get("tag").asText()).isEqualTo("driver");
        assertThat(union.get("variants")).hasSize(3);
        JsonNode raw = schema.get(union.get("variants").get(1).get("type").asText());
        JsonNode ref = schema.get(raw.get("members").get(0).get("type").asText());
        assertThat(ref.get("meta-type").asText()).isEqualTo("alternate");
        assertThat(ref.get("members").get(0).get("type").asText()).isEqualTo(union.get("name").asText());
        assertThat(ref.get("members").get(1).get("type").asText()).isEqualTo("str");

        JsonNode queryStats = schema.get("query-stats");
        assertThat(queryStats.get("allow-oob").asBoolean()).isTrue();
        JsonNode array = schema.get(queryStats.get("ret-type").asText());
        assertThat(array.get("meta-type").asText()).isEqualTo("array");
        JsonNode stats = schema.get(array.get("element-type").asText());
        assertThat(stats.get("members").get(1).get("type").asText()).isEqualTo(stats.get("name").asText());

        JsonNode caps = schema.get(schema.get("caps").get("arg-type").asText());
        JsonNode enumArray = schema.get(caps.get("members").get(0).get("type").asText());
        assertThat(schema.get(enumArray.get("element-type").asText()).get("values").toString())
                .isEqualTo("[\"threads\",\"native\"]");
    }

    @Test
    void theDaemonsSchemaLoadsAndDescribesItself() {
        Schema schema = Schema.fleece();
        Map<String, JsonNode> entries = byName(Introspection.of(schema));
        assertThat(entries).containsKeys("qmp_capabilities", "query-version", "query-commands",
                "query-qmp-schema", "quit", "query-chardev", "SHUTDOWN", "str", "int", "bool");
        JsonNode version = entries.get(entries.get("query-version").get("ret-type").asText());
        assertThat(version.get("members").get(0).get("name").asText()).isEqualTo("qemu");
        assertThat(version.get("members").get(1).get("name").asText()).isEqualTo("package");
    }
}
