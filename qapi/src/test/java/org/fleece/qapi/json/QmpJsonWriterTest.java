package org.fleece.qapi.json;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.BigIntegerNode;
import com.fasterxml.jackson.databind.node.DecimalNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.fleece.qapi.QDictOrder;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Expected texts recorded from qemu-storage-daemon 7.2.22 unless noted. */
class QmpJsonWriterTest {

    private static final JsonNodeFactory F = JsonNodeFactory.instance;

    /** Parses QMP-dialect input (ISO-8859-1 chars = bytes) into one value. */
    private static JsonNode parse(String latin1) {
        List<JsonNode> values = new ArrayList<>();
        JsonStreamParser p = new JsonStreamParser(new JsonStreamParser.Sink() {
            @Override
            public void onValue(JsonNode value) {
                values.add(value);
            }

            @Override
            public void onError(String desc) {
                throw new AssertionError(desc);
            }
        });
        p.feed((latin1 + " ").getBytes(StandardCharsets.ISO_8859_1));
        assertThat(values).hasSize(1);
        return values.getFirst();
    }

    private static String json(JsonNode node) {
        return QmpJsonWriter.toJson(node);
    }

    @Test
    void greeting() {
        ObjectNode qemu = F.objectNode().put("major", 7).put("minor", 2).put("micro", 22);
        ObjectNode version = F.objectNode();
        version.set("qemu", qemu);
        version.put("package", "Debian 1:7.2+dfsg-7+deb12u18+b3");
        ObjectNode qmp = F.objectNode();
        qmp.set("version", version);
        qmp.set("capabilities", F.arrayNode().add("oob"));
        ObjectNode greeting = F.objectNode();
        greeting.set("QMP", qmp);
        assertThat(json(greeting)).isEqualTo("{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 22, \"minor\": 2, \"major\": 7}, "
                + "\"package\": \"Debian 1:7.2+dfsg-7+deb12u18+b3\"}, \"capabilities\": [\"oob\"]}}");
    }

    @Test
    void responsesAndEvents() {
        ObjectNode ok = F.objectNode();
        ok.set("id", F.numberNode(1));
        ok.set("return", F.objectNode());
        assertThat(json(ok)).isEqualTo("{\"return\": {}, \"id\": 1}");

        ObjectNode error = F.objectNode();
        error.putObject("error").put("class", "CommandNotFound").put("desc", "The command nope has not been found");
        error.put("id", "a");
        assertThat(json(error))
                .isEqualTo("{\"id\": \"a\", \"error\": {\"class\": \"CommandNotFound\", \"desc\": \"The command nope has not been found\"}}");

        ObjectNode event = F.objectNode();
        event.put("event", "JOB_STATUS_CHANGE");
        event.putObject("data").put("status", "created").put("id", "job0");
        event.putObject("timestamp").put("seconds", 1700000000L).put("microseconds", 123456);
        assertThat(json(event)).isEqualTo("{\"timestamp\": {\"seconds\": 1700000000, \"microseconds\": 123456}, "
                + "\"event\": \"JOB_STATUS_CHANGE\", \"data\": {\"status\": \"created\", \"id\": \"job0\"}}");
    }

    @Test
    void echoedIdObjectsComeOutInHashOrder() {
        assertThat(json(parse("{\"b\":1,\"a\":2,\"c\":{\"z\":[],\"y\":{}}}")))
                .isEqualTo("{\"a\": 2, \"b\": 1, \"c\": {\"y\": {}, \"z\": []}}");
        assertThat(json(parse("{\"a\":1, \"b\":{\"x\":[1,{\"c\":2}]}}")))
                .isEqualTo("{\"a\": 1, \"b\": {\"x\": [1, {\"c\": 2}]}}");
    }

    @Test
    void bucketsOfFrequentKeys() {
        Map<String, Integer> known = Map.ofEntries(Map.entry("seconds", 5), Map.entry("auto-finalize", 21),
                Map.entry("timestamp", 26), Map.entry("io-status", 31), Map.entry("name", 39), Map.entry("device", 49),
                Map.entry("current-progress", 90), Map.entry("QMP", 99), Map.entry("recording", 100),
                Map.entry("auto-dismiss", 124), Map.entry("persistent", 125), Map.entry("busy", 163), Map.entry("len", 172),
                Map.entry("offset", 180), Map.entry("version", 184), Map.entry("status", 202), Map.entry("class", 211),
                Map.entry("node-name", 212), Map.entry("capabilities", 216), Map.entry("paused", 223),
                Map.entry("guest", 223), Map.entry("minor", 225), Map.entry("micro", 225), Map.entry("qemu", 232),
                Map.entry("granularity", 241), Map.entry("count", 243), Map.entry("speed", 259),
                Map.entry("total-progress", 273), Map.entry("package", 326), Map.entry("sha256", 332),
                Map.entry("event", 361), Map.entry("microseconds", 374), Map.entry("ready", 376), Map.entry("desc", 377),
                Map.entry("shutting-down", 389), Map.entry("return", 401), Map.entry("reason", 401),
                Map.entry("operation", 419), Map.entry("type", 425), Map.entry("action", 438), Map.entry("major", 481),
                Map.entry("inconsistent", 482), Map.entry("id", 486), Map.entry("error", 489), Map.entry("data", 505));
        known.forEach((key, bucket) -> assertThat(QDictOrder.bucket(key)).as(key).isEqualTo(bucket));
        for (String key : List.of("é", "€", "😀", "a-much-longer-key-name-with-digits-0123456789-and-more")) {
            assertThat(QDictOrder.bucket(key)).as(key).isEqualTo(tdbHashOfUtf8(key));
        }
    }

    @Test
    void sameBucketLaterInsertedFirst() {
        assertThat(json(parse("{\"return\":1,\"reason\":2}"))).isEqualTo("{\"reason\": 2, \"return\": 1}");
        assertThat(json(parse("{\"reason\":2,\"return\":1}"))).isEqualTo("{\"return\": 1, \"reason\": 2}");
        assertThat(json(parse("{\"major\":7,\"minor\":2,\"micro\":22}"))).isEqualTo("{\"micro\": 22, \"minor\": 2, \"major\": 7}");
    }

    @Test
    void manyMembers() {
        assertThat(json(parse("{\"a\":1,\"b\":2,\"c\":3,\"d\":4,\"e\":5,\"f\":6,\"g\":7,\"h\":8,\"i\":9,\"j\":10,\"device\":1,"
                + "\"len\":2,\"offset\":3,\"speed\":4,\"type\":5,\"event\":6,\"data\":7,\"timestamp\":8}")))
                .isEqualTo(RECORDED_MANY_MEMBERS);
    }

    static final String RECORDED_MANY_MEMBERS = "{\"timestamp\": 8, \"d\": 4, \"device\": 1, \"i\": 9, \"e\": 5, \"len\": 2, "
            + "\"j\": 10, \"offset\": 3, \"a\": 1, \"f\": 6, \"speed\": 4, \"b\": 2, \"event\": 6, \"g\": 7, \"type\": 5, "
            + "\"c\": 3, \"h\": 8, \"data\": 7}";

    @Test
    void nonAsciiKeysHashOverUtf8() {
        assertThat(json(parse("{\"\u00c3\u00a9\":1,\"a\\u0000b\":2,\"\u00f0\u009f\u0098\u0080\":3,\"k\":4,\"\u00e2\u0082\u00ac\":5, "
                + "\"long-key-name-with-many-characters-abcdefghijklmnopqrstuvwxyz0123456789\":6}")))
                .isEqualTo(RECORDED_NON_ASCII_KEYS);
    }

    static final String RECORDED_NON_ASCII_KEYS = "{\"long-key-name-with-many-characters-abcdefghijklmnopqrstuvwxyz0123456789\": 6, "
            + "\"\\u00E9\": 1, \"k\": 4, \"a\\u0000b\": 2, \"\\uD83D\\uDE00\": 3, \"\\u20AC\": 5}";

    @Test
    void stringEscapes() {
        assertThat(json(F.textNode("é😀/\b\f\n\r\t\"\\/\u0001\u007f"))).isEqualTo(
                "\"\\u00E9\\uD83D\\uDE00/\\b\\f\\n\\r\\t\\\"\\\\/\\u0001\\u007F\"");
        assertThat(json(F.textNode("\u0000 ~\u0080\u00ff\u0100\uabcd"))).isEqualTo("\"\\u0000 ~\\u0080\\u00FF\\u0100\\uABCD\"");
        // Not representable in QEMU: written as U+FFFD, like QEMU writes undecodable bytes.
        assertThat(json(F.textNode("\ud800x\udc00\ufffe\uffff\ufdd0\ufdef\ufdcf")))
                .isEqualTo("\"\\uFFFDx\\uFFFD\\uFFFD\\uFFFD\\uFFFD\\uFFFD\\uFDCF\"");
        assertThat(json(F.textNode(new String(Character.toChars(0x10ffff)) + new String(Character.toChars(0x10fffd)))))
                .isEqualTo("\"\\uFFFD\\uDBFF\\uDFFD\"");
    }

    @Test
    void parseErrorRepliesAsOnTheWire() {
        // Exact lines recorded from qsd for stray bytes.
        assertThat(errorReply("JSON parse error, stray '\"abc\u0001'"))
                .isEqualTo("{\"error\": {\"class\": \"GenericError\", \"desc\": \"JSON parse error, stray '\\\"abc\\u0001'\"}}");
        assertThat(errorReply("JSON parse error, stray '\"\u20ac\u0000\u0001'")).isEqualTo(
                "{\"error\": {\"class\": \"GenericError\", \"desc\": \"JSON parse error, stray '\\\"\\u20AC\\u0000\\u0001'\"}}");
        assertThat(errorReply("JSON parse error, stray '\f'"))
                .isEqualTo("{\"error\": {\"class\": \"GenericError\", \"desc\": \"JSON parse error, stray '\\f'\"}}");
        assertThat(errorReply("JSON parse error, \\u12\" is not a valid Unicode character")).isEqualTo(
                "{\"error\": {\"class\": \"GenericError\", \"desc\": \"JSON parse error, \\\\u12\\\" is not a valid Unicode character\"}}");
    }

    private static String errorReply(String desc) {
        ObjectNode reply = F.objectNode();
        reply.putObject("error").put("class", "GenericError").put("desc", desc);
        return json(reply);
    }

    @Test
    void numbers() {
        ArrayNode a = F.arrayNode().add(0).add(-1).add(Long.MAX_VALUE).add(Long.MIN_VALUE)
                .add(BigIntegerNode.valueOf(new BigInteger("18446744073709551615")));
        assertThat(json(a)).isEqualTo("[0, -1, 9223372036854775807, -9223372036854775808, 18446744073709551615]");
        assertThat(json(F.numberNode((short) 7))).isEqualTo("7");
        assertThat(json(F.numberNode(0.25f))).isEqualTo("0.25");
        assertThat(json(DecimalNode.valueOf(new BigDecimal("0.1")))).isEqualTo("0.10000000000000001");
    }

    @Test
    void doublesLikePrintfPercent17g() {
        // From qsd (id echo) and from glibc printf("%.17g").
        String[][] cases = {
                {"0.5", "0.5"}, {"1e-7", "9.9999999999999995e-08"}, {"100.0", "100"}, {"0.1", "0.10000000000000001"},
                {"1e400", "inf"}, {"-1e400", "-inf"}, {"1e-400", "0"}, {"-0.0", "-0"}, {"1.5e300", "1.5000000000000001e+300"},
                {"2.5e-5", "2.5000000000000001e-05"}, {"1e16", "10000000000000000"}, {"1e17", "1e+17"},
                {"12345678901234567890.0", "1.2345678901234567e+19"}, {"18446744073709551616", "1.8446744073709552e+19"},
                {"-9223372036854775809", "-9.2233720368547758e+18"},
                {"1234567890123456.25", "1234567890123456.2"}, {"1234567890123456.75", "1234567890123456.8"},
                {"5e-324", "4.9406564584124654e-324"}, {"1.7976931348623157e308", "1.7976931348623157e+308"},
                {"123456789012345678.0", "1.2345678901234568e+17"}, {"1e-4", "0.0001"}, {"1e-5", "1.0000000000000001e-05"},
                {"0.00012345", "0.00012344999999999999"}, {"12345678901234567.0", "12345678901234568"},
                {"99999999999999999.0", "1e+17"}, {"-0.5e-3", "-0.00050000000000000001"}, {"1E+2", "100"}, {"0.0", "0"},
                {"1.5E3", "1500"}, {"123.456", "123.456"}, {"1e308", "1e+308"}, {"4503599627370497.5", "4503599627370498"},
        };
        for (String[] c : cases) {
            assertThat(QmpJsonWriter.formatDouble(Double.parseDouble(c[0]))).as(c[0]).isEqualTo(c[1]);
        }
        assertThat(QmpJsonWriter.formatDouble(Double.NaN)).isEqualTo("nan");
        assertThat(QmpJsonWriter.formatDouble(Double.longBitsToDouble(0xfff8000000000000L))).isEqualTo("-nan");
    }

    @Test
    void bufferIsReused() {
        QmpJsonWriter w = new QmpJsonWriter();
        w.write(F.objectNode().put("a", 1));
        assertThat(w.toString()).isEqualTo("{\"a\": 1}");
        byte[] first = w.array();
        w.reset().write(F.arrayNode().add(true).addNull().add(false));
        assertThat(w.array()).isSameAs(first);
        assertThat(new String(w.array(), 0, w.length(), StandardCharsets.US_ASCII)).isEqualTo("[true, null, false]");
        assertThat(w.toByteArray()).hasSize(w.length());
        w.write(F.textNode("x"));
        assertThat(w.toString()).isEqualTo("[true, null, false]\"x\"");
    }

    @Test
    void deepAndWideTrees() {
        ObjectNode root = F.objectNode();
        ObjectNode cur = root;
        for (int i = 0; i < 1000; i++) {
            for (int k = 0; k < 30; k++) {
                cur.put("k" + k, k);
            }
            cur = cur.putObject("child");
        }
        String out = json(root);
        assertThat(out).startsWith("{").contains("\"child\": {}");
        // Same as sorting with QDictOrder, the reference in module qapi.
        List<String> keys = new ArrayList<>();
        root.fieldNames().forEachRemaining(keys::add);
        List<String> sorted = new ArrayList<>(keys);
        sorted.sort((x, y) -> QDictOrder.compare(x, keys.indexOf(x), y, keys.indexOf(y)));
        StringBuilder expected = new StringBuilder("{");
        for (String key : sorted) {
            if (expected.length() > 1) {
                expected.append(", ");
            }
            expected.append('"').append(key).append("\": ");
            expected.append(key.equals("child") ? json(root.get("child")) : root.get(key).toString());
        }
        assertThat(out).isEqualTo(expected.append('}').toString());
    }

    /** The hash written out plainly over the key's UTF-8 bytes, to check the allocation-free one. */
    private static int tdbHashOfUtf8(String key) {
        byte[] bytes = key.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        int value = 0x238F13AF * bytes.length;
        for (int i = 0; i < bytes.length; i++) {
            value += (bytes[i] & 0xff) << (i * 5 % 24);
        }
        return (int) (Integer.toUnsignedLong(1103515243 * value + 12345) % 512);
    }

    /** Byte for byte what a qemu-storage-daemon 7.2 monitor with pretty=on sent for the same values. */
    @Test
    void prettyOutputIsQemus() {
        assertThat(new QmpJsonWriter(true).write(parse("{\"QMP\":{\"version\":{\"qemu\":{\"major\":7,\"minor\":2,"
                + "\"micro\":22},\"package\":\"Debian 1:7.2+dfsg-7+deb12u18+b3\"},\"capabilities\":[\"oob\"]}}")).toString())
                .isEqualTo("{\r\n    \"QMP\": {\r\n        \"version\": {\r\n            \"qemu\": {\r\n"
                        + "                \"micro\": 22,\r\n                \"minor\": 2,\r\n                \"major\": 7\r\n"
                        + "            },\r\n            \"package\": \"Debian 1:7.2+dfsg-7+deb12u18+b3\"\r\n        },\r\n"
                        + "        \"capabilities\": [\r\n            \"oob\"\r\n        ]\r\n    }\r\n}");
        assertThat(new QmpJsonWriter(true).write(parse("{\"return\":{}}")).toString())
                .isEqualTo("{\r\n    \"return\": {\r\n    }\r\n}");
        assertThat(new QmpJsonWriter(true).write(parse("[1,{},[]]")).toString())
                .isEqualTo("[\r\n    1,\r\n    {\r\n    },\r\n    [\r\n    ]\r\n]");
    }
}
