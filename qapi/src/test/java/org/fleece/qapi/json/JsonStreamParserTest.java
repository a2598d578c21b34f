package org.fleece.qapi.json;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.BigIntegerNode;
import com.fasterxml.jackson.databind.node.DoubleNode;
import com.fasterxml.jackson.databind.node.IntNode;
import com.fasterxml.jackson.databind.node.LongNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Expected outcomes recorded from qemu-storage-daemon 7.2.22 (after {@code qmp_capabilities}).
 *
 * <p>Notation: inputs are byte strings written as Java strings whose chars are the bytes
 * (ISO-8859-1), so {@code "\u00c3\u00a9"} is the UTF-8 encoding of é. Each expected event is
 * {@code E:<desc>} for a parse error (qsd replies
 * {@code {"error": {"class": "GenericError", "desc": <desc>}}}) or {@code V:<value>} for a complete
 * value, rendered with {@link QmpJsonWriter}. For a value that is not an object qsd replies
 * {@code QMP input must be a JSON object}; for {@code {"execute":"x","id":ID}} it replies
 * {@code {"id": ID, "error": {"class": "CommandNotFound", ...}}} with ID printed exactly as the
 * writer prints it here.
 */
class JsonStreamParserTest {

    private static final int MIB64 = 64 << 20;

    /** Collects events as strings. */
    static final class Recorder implements JsonStreamParser.Sink {
        final List<String> events = new ArrayList<>();
        final List<JsonNode> values = new ArrayList<>();

        @Override
        public void onValue(JsonNode value) {
            values.add(value);
            events.add("V:" + QmpJsonWriter.toJson(value));
        }

        @Override
        public void onError(String desc) {
            events.add("E:" + desc);
        }

        List<String> take() {
            List<String> copy = List.copyOf(events);
            events.clear();
            return copy;
        }
    }

    static byte[] b(String latin1) {
        return latin1.getBytes(StandardCharsets.ISO_8859_1);
    }

    static List<String> parseWhole(String input) {
        Recorder r = new Recorder();
        new JsonStreamParser(r).feed(b(input));
        return r.take();
    }

    static List<String> parseBytewise(String input) {
        Recorder r = new Recorder();
        JsonStreamParser p = new JsonStreamParser(r);
        byte[] bytes = b(input);
        for (int i = 0; i < bytes.length; i++) {
            p.feed(bytes, i, 1);
        }
        return r.take();
    }

    static final String NOT_OBJECT = "(qsd: QMP input must be a JSON object)";

    record Case(String input, List<String> expected) {
        @Override
        public String toString() {
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < Math.min(input.length(), 80); i++) {
                char ch = input.charAt(i);
                if (ch >= 0x21 && ch < 0x7f) {
                    sb.append(ch);
                } else {
                    sb.append(String.format("\\x%02x", (int) ch));
                }
            }
            return input.length() > 80 ? sb + "..." : sb.toString();
        }
    }

    static Case c(String input, String... expected) {
        return new Case(input, List.of(expected));
    }

    static String E(String desc) {
        return "E:" + desc;
    }

    static String V(String json) {
        return "V:" + json;
    }

    /** Every input → reply pair recorded from qsd (see class comment for the notation). */
    static Stream<Case> recorded() {
        return Stream.of(
                // Values back to back, no delimiter; whitespace ignored.
                c("{\"execute\":\"x\",\"id\":1}{\"execute\":\"y\",\"id\":\"a\"}",
                        V("{\"execute\": \"x\", \"id\": 1}"), V("{\"execute\": \"y\", \"id\": \"a\"}")),
                c("{\"execute\":\"x\",\"id\":1} \t\r\n {\"execute\":\"x\",\"id\":2}",
                        V("{\"execute\": \"x\", \"id\": 1}"), V("{\"execute\": \"x\", \"id\": 2}")),
                c("{\"execute\"\n:\n\"x\"\r,\t\"id\":3}", V("{\"execute\": \"x\", \"id\": 3}")),
                c("{'execute':'query-version', 'id':'it\\'s'}", V("{\"execute\": \"query-version\", \"id\": \"it's\"}")),
                c("[]", V("[]")),
                c("{}", V("{}")),

                // Lone scalars: a string is complete at its quote, numbers and keywords need the next byte.
                c("1"),
                c("1 ", V("1")),
                c("\"x\"", V("\"x\"")),
                c("true"),
                c("true ", V("true")),
                c("nul"),
                c("1e5 ", V("100000")),
                c("0e5 ", V("0"), E("JSON parse error, invalid keyword 'e'"), V("5")),
                c("0x ", V("0"), E("JSON parse error, invalid keyword 'x'")),
                c("true{}", V("true"), V("{}")),
                c("1\u0080", V("1"), E("JSON parse error, stray '\uFFFD'")),
                c("1\u00ff", V("1"), E("JSON parse error, stray '\uFFFD'")),
                c("0\u00ff", V("0"), E("JSON parse error, stray '\uFFFD'")),
                c("true\u00c3\u00a9", V("true"), E("JSON parse error, stray '\uFFFD'")),

                // Parser errors: reported once the brackets balance (or one goes negative).
                c("{\"execute\": }", E("JSON parse error, expecting value")),
                c("{\"execute\": bad}", E("JSON parse error, invalid keyword 'bad'")),
                c("{\"execute\":\"x\",\"execute\":\"y\"}", E("JSON parse error, duplicate key")),
                c("{\"a\":1,\"a\":}", E("JSON parse error, expecting value")),
                c("{\"a\":1,\"a\":2,}", E("JSON parse error, duplicate key")),
                c("tru1", E("JSON parse error, invalid keyword 'tru'")),
                c("}", E("JSON parse error, expecting value")),
                c("]]]", E("JSON parse error, expecting value"), E("JSON parse error, expecting value"),
                        E("JSON parse error, expecting value")),
                c(":", E("JSON parse error, expecting value")),
                c(",", E("JSON parse error, expecting value")),
                c("[1 2]", E("JSON parse error, expected separator in list")),
                c("{\"a\" }", E("JSON parse error, missing : in object pair")),
                c("{\"a\":1 ]", E("JSON parse error, expected separator in dict")),
                c("{1:2}", E("JSON parse error, key is not a string in object")),
                c("{[1]:2}", E("JSON parse error, key is not a string in object")),
                c("[{]}", E("JSON parse error, expecting value")),
                c("[}]", E("JSON parse error, expecting value"), E("JSON parse error, expecting value")),
                c("[1,]", E("JSON parse error, expecting value")),
                c("[,1]", E("JSON parse error, expecting value")),
                c("{,}", E("JSON parse error, expecting value")),
                c("{\"a\":1,,}", E("JSON parse error, expecting value")),
                c("{\"a\"::1}", E("JSON parse error, expecting value")),

                // Lexical errors: reported at once with the token so far; then skip to a
                // structural char, a control char (not tab) or 0xFE/0xFF.
                c("@", E("JSON parse error, stray '@'")),
                c("\u0001", E("JSON parse error, stray '\u0001'")),
                c("\u0001\u0002\u0003", E("JSON parse error, stray '\u0001'"), E("JSON parse error, stray '\u0002'"),
                        E("JSON parse error, stray '\u0003'")),
                c("\u001b", E("JSON parse error, stray '\u001b'")),
                c("\u000c", E("JSON parse error, stray '\f'")),
                c("\u007f", E("JSON parse error, stray '\u007f'")),
                c("\u00ff", E("JSON parse error, stray '\uFFFD'")),
                c("\u00fe", E("JSON parse error, stray '\uFFFD'")),
                c("\u00c3\u00a9", E("JSON parse error, stray '\uFFFD'")),
                c("\u0000", E("JSON parse error, stray ''")),
                c("\"abc\u0001", E("JSON parse error, stray '\"abc\u0001'")),
                c("\"ab\u0000cd", E("JSON parse error, stray '\"ab'")),
                c("\"a\tb\"", E("JSON parse error, stray '\"a\t'")),
                c("\"\\\u0001", E("JSON parse error, stray '\"\\\u0001'")),
                c("{\u0001}", E("JSON parse error, stray '\u0001'"), E("JSON parse error, expecting value")),
                c("{\"execute\": @ \"x\"}", E("JSON parse error, stray '@'"), E("JSON parse error, expecting value")),
                c("{\"execute\": \"qmp_capabilities\" @@@@}", E("JSON parse error, stray '@'"),
                        E("JSON parse error, expecting value")),
                c("{\"execute\":\"x\",\"id\":%d}", E("JSON parse error, stray '%'"), E("JSON parse error, expecting value")),
                c("01", E("JSON parse error, stray '01'")),
                c("-a", E("JSON parse error, stray '-a'")),
                c("1.x", E("JSON parse error, stray '1.x'")),
                c("1.}", E("JSON parse error, stray '1.}'")),
                c("1ex", E("JSON parse error, stray '1ex'")),
                c("1e+x", E("JSON parse error, stray '1e+x'")),
                c("True", E("JSON parse error, stray 'T'")),
                c("True{\"execute\":\"x\"}", E("JSON parse error, stray 'T'"), V("{\"execute\": \"x\"}")),
                c("@abc\"def{\"execute\":\"x\"}", E("JSON parse error, stray '@'"), V("{\"execute\": \"x\"}")),
                c("@ x", E("JSON parse error, stray '@'")),
                c("@\nx ", E("JSON parse error, stray '@'"), E("JSON parse error, invalid keyword 'x'")),
                c("@\u0001", E("JSON parse error, stray '@'"), E("JSON parse error, stray '\u0001'")),
                c("@\u00ff", E("JSON parse error, stray '@'"), E("JSON parse error, stray '\uFFFD'")),
                c("@\u00c3\u00a9 ", E("JSON parse error, stray '@'")),
                c("@\t\u000c", E("JSON parse error, stray '@'"), E("JSON parse error, stray '\f'")),

                // Invalid UTF-8 in a stray token: one U+FFFD per sequence QEMU's decoder rejects.
                c("\"\u00c3\u0001", E("JSON parse error, stray '\"\uFFFD\u0001'")),
                c("\"\u00ed\u00a0\u0080\u0001", E("JSON parse error, stray '\"\uFFFD\u0001'")),
                c("\"\u00f0\u009f\u0001", E("JSON parse error, stray '\"\uFFFD\u0001'")),
                c("\"\u00c1\u00bf\u0001", E("JSON parse error, stray '\"\uFFFD\u0001'")),
                c("\"\u00f8\u0088\u0080\u0080\u0080\u0001", E("JSON parse error, stray '\"\uFFFD\u0001'")),
                c("\"\u00fc\u0084\u0080\u0080\u0080\u0080\u0001", E("JSON parse error, stray '\"\uFFFD\u0001'")),
                c("\"\u0080\u0001", E("JSON parse error, stray '\"\uFFFD\u0001'")),
                c("\"\u00f4\u0090\u0080\u0080\u0001", E("JSON parse error, stray '\"\uFFFD\u0001'")),
                c("\"\u00ef\u00b7\u0090\u0001", E("JSON parse error, stray '\"\uFFFD\u0001'")),
                c("\"\u00f0\u009f\u00bf\u00be\u0001", E("JSON parse error, stray '\"\uFFFD\u0001'")),
                c("\"\u00e0\u0080\u0001", E("JSON parse error, stray '\"\uFFFD\u0001'")),
                c("\"\u00e2\u0082\u00ac\u00c0\u0080\u0001", E("JSON parse error, stray '\"\u20ac\u0000\u0001'")),

                // Strings.
                c("{\"execute\":\"x\", \"id\": \"\\u00e9\\ud83d\\ude00/\\b\\f\\n\\r\\t\\\"\\\\\\/\\u0001\\u007f\"}",
                        V("{\"execute\": \"x\", \"id\": \"\\u00E9\\uD83D\\uDE00/\\b\\f\\n\\r\\t\\\"\\\\/\\u0001\\u007F\"}")),
                c("{\"execute\":\"x\", \"id\": \"\u00c3\u00a9\u00f0\u009f\u0098\u0080\u007f\"}",
                        V("{\"execute\": \"x\", \"id\": \"\\u00E9\\uD83D\\uDE00\\u007F\"}")),
                c("{\"execute\":\"x\", \"id\": \"\\u0000\"}", V("{\"execute\": \"x\", \"id\": \"\\u0000\"}")),
                c("{\"execute\":\"x\", \"id\": \"\u00c0\u0080\"}", V("{\"execute\": \"x\", \"id\": \"\\u0000\"}")),
                c("{\"execute\":\"x\",\"id\":\"%s\"}", V("{\"execute\": \"x\", \"id\": \"%s\"}")),
                c("{\"execute\":\"x\",\"id\":\"a/b\"}", V("{\"execute\": \"x\", \"id\": \"a/b\"}")),
                c("{\"execute\":\"x\", \"id\": [\"\", '', '\\\"', \"\\'\", \"'\", '\"']}",
                        V("{\"execute\": \"x\", \"id\": [\"\", \"\", \"\\\"\", \"'\", \"'\", \"\\\"\"]}")),
                c("\" ~\"", V("\" ~\"")),
                c("{\"execute\":\"x\", \"id\": \"\u00ed\u00a0\u0080\"}", E("JSON parse error, invalid UTF-8 sequence in string")),
                c("{\"execute\":\"x\", \"id\": \"\u00c3\"}", E("JSON parse error, invalid UTF-8 sequence in string")),
                c("{\"execute\":\"x\", \"id\": \"\u00ef\u00bf\u00bf\"}", E("JSON parse error, invalid UTF-8 sequence in string")),
                c("{\"execute\":\"x\", \"id\": \"\u00f4\u0090\u0080\u0080\"}", E("JSON parse error, invalid UTF-8 sequence in string")),
                c("{\"execute\":\"x\", \"id\": \"\u00c1\u00bf\"}", E("JSON parse error, invalid UTF-8 sequence in string")),
                c("{\"execute\":\"x\", \"id\": \"\\uffff\"}", E("JSON parse error, \\uffff is not a valid Unicode character")),
                c("{\"execute\":\"x\", \"id\": \"\\ud800\"}", E("JSON parse error, \\ud800 is not a valid Unicode character")),
                c("{\"execute\":\"x\", \"id\": \"\\ud800\\u0041\"}", E("JSON parse error, \\ud800 is not a valid Unicode character")),
                c("{\"execute\":\"x\", \"id\": \"\\udc00\"}", E("JSON parse error, \\udc00 is not a valid Unicode character")),
                c("{\"execute\":\"x\", \"id\": \"\\u12\"}", E("JSON parse error, \\u12\" is not a valid Unicode character")),
                c("{\"execute\":\"x\", \"id\": \"\\u00\"}", E("JSON parse error, \\u00\" is not a valid Unicode character")),
                c("{\"execute\":\"x\", \"id\": \"\\uzzzz\"}", E("JSON parse error, \\uzzzz is not a valid Unicode character")),
                c("{\"execute\":\"x\", \"id\": \"\\ud800\\u12\"}", E("JSON parse error, \\ud800 is not a valid Unicode character")),
                c("{\"execute\":\"x\", \"id\": \"\\udbff\\udfff\"}",
                        E("JSON parse error, \\udbff\\udfff is not a valid Unicode character")),
                c("{\"execute\":\"x\", \"id\": \"\\udbff\\udffe\"}",
                        E("JSON parse error, \\udbff\\udffe is not a valid Unicode character")),
                c("{\"execute\":\"x\", \"id\": \"\\ufdd0\"}", E("JSON parse error, \\ufdd0 is not a valid Unicode character")),
                c("{\"execute\":\"x\", \"id\": \"\\u00\u00c3\u00a9\"}", E("JSON parse error, \\u00\u00e9 is not a valid Unicode character")),
                c("{\"execute\":\"x\", \"id\": \"\\u0\u00e2\u0082\u00ac\"}", E("JSON parse error, \\u0\u20ac is not a valid Unicode character")),
                c("{\"execute\":\"x\", \"id\": \"\\u00\u00e2\u0082\u00ac\"}", E("JSON parse error, \\u00\uFFFD is not a valid Unicode character")),
                c("{\"execute\":\"x\", \"id\": \"\\x\"}", E("JSON parse error, invalid escape sequence in string")),
                c("{\"execute\":\"x\", \"id\": \"\\\u00c3\u00a9\"}", E("JSON parse error, invalid escape sequence in string")),

                // Numbers.
                c("{\"execute\":\"x\", \"id\": 9223372036854775807}", V("{\"execute\": \"x\", \"id\": 9223372036854775807}")),
                c("{\"execute\":\"x\", \"id\": 9223372036854775808}", V("{\"execute\": \"x\", \"id\": 9223372036854775808}")),
                c("{\"execute\":\"x\", \"id\": 18446744073709551615}", V("{\"execute\": \"x\", \"id\": 18446744073709551615}")),
                c("{\"execute\":\"x\", \"id\": 18446744073709551616}", V("{\"execute\": \"x\", \"id\": 1.8446744073709552e+19}")),
                c("{\"execute\":\"x\", \"id\": -9223372036854775808}", V("{\"execute\": \"x\", \"id\": -9223372036854775808}")),
                c("{\"execute\":\"x\", \"id\": -9223372036854775809}", V("{\"execute\": \"x\", \"id\": -9.2233720368547758e+18}")),
                c("{\"execute\":\"x\", \"id\": -0}", V("{\"execute\": \"x\", \"id\": 0}")),
                c("{\"execute\":\"x\", \"id\": -0.0}", V("{\"execute\": \"x\", \"id\": -0}")),
                c("{\"execute\":\"x\", \"id\": [0.5, 1e-7, 100.0, 0.1, 1e400, -1e400, 1e-400, 1.5e300, 123456789012345678, 1E2, 2.5e-5, 1e16, 1e17, 12345678901234567890.0]}",
                        V("{\"execute\": \"x\", \"id\": [0.5, 9.9999999999999995e-08, 100, 0.10000000000000001, inf, -inf, 0, "
                                + "1.5000000000000001e+300, 123456789012345678, 100, 2.5000000000000001e-05, 10000000000000000, "
                                + "1e+17, 1.2345678901234567e+19]}")),
                c("{\"execute\":\"x\", \"id\": [true,false,null]}", V("{\"execute\": \"x\", \"id\": [true, false, null]}")));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("recorded")
    void recordedWhole(Case c) {
        assertThat(parseWhole(c.input())).containsExactlyElementsOf(c.expected());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("recorded")
    void recordedByteByByte(Case c) {
        assertThat(parseBytewise(c.input())).containsExactlyElementsOf(c.expected());
    }

    @Test
    void recordedAllInOneStreamWithRandomSplits() {
        // The cases, each followed by 0x01 (forces a lexical error) and a newline (back to the
        // start state), make one stream.
        StringBuilder all = new StringBuilder();
        List<String> expected = new ArrayList<>();
        recorded().forEach(c -> {
            all.append(c.input()).append("\u0001\n");
            expected.addAll(parseWhole(c.input() + "\u0001\n"));
        });
        byte[] bytes = b(all.toString());
        Random random = new Random(42);
        for (int round = 0; round < 20; round++) {
            Recorder r = new Recorder();
            JsonStreamParser p = new JsonStreamParser(r);
            int i = 0;
            while (i < bytes.length) {
                int n = Math.min(bytes.length - i, 1 + random.nextInt(40));
                p.feed(bytes, i, n);
                i += n;
            }
            assertThat(r.take()).containsExactlyElementsOf(expected);
        }
    }

    @Test
    void scalarTimingAcrossChunks() {
        Recorder r = new Recorder();
        JsonStreamParser p = new JsonStreamParser(r);
        p.feed(b("1"));
        assertThat(r.take()).isEmpty();
        p.feed(b(" "));
        assertThat(r.take()).containsExactly(V("1"));
        p.feed(b("nul"));
        assertThat(r.take()).isEmpty();
        p.feed(b("l,"));
        assertThat(r.take()).containsExactly(V("null"), E("JSON parse error, expecting value"));
        p.feed(b("{\"execute\":\"x\",\"id\":\"\u00c3"));
        assertThat(r.take()).isEmpty();
        p.feed(b("\u00a9\"}"));
        assertThat(r.take()).containsExactly(V("{\"execute\": \"x\", \"id\": \"\\u00E9\"}"));
    }

    @Test
    void valueTypes() {
        Recorder r = new Recorder();
        new JsonStreamParser(r).feed(b("[1, 2147483648, 9223372036854775808, 18446744073709551616, -9223372036854775809, 1.5, \"s\"]"));
        JsonNode a = r.values.getFirst();
        assertThat(a.get(0)).isEqualTo(IntNode.valueOf(1));
        assertThat(a.get(1)).isEqualTo(LongNode.valueOf(2147483648L));
        assertThat(a.get(2)).isEqualTo(BigIntegerNode.valueOf(new BigInteger("9223372036854775808")));
        assertThat(a.get(3)).isEqualTo(DoubleNode.valueOf(1.8446744073709552e19));
        assertThat(a.get(4)).isEqualTo(DoubleNode.valueOf(-9.223372036854775808e18));
        assertThat(a.get(5)).isEqualTo(DoubleNode.valueOf(1.5));
        assertThat(a.get(6).textValue()).isEqualTo("s");
    }

    @Test
    void stringsDecodeToJavaStrings() {
        Recorder r = new Recorder();
        new JsonStreamParser(r).feed(b("[\"\\u00e9\\ud83d\\ude00\", \"\u00c3\u00a9\u00f0\u009f\u0098\u0080\", '\\'\"', \"\\u0000\u00c0\u0080\"]"));
        JsonNode a = r.values.getFirst();
        assertThat(a.get(0).textValue()).isEqualTo("é😀");
        assertThat(a.get(1).textValue()).isEqualTo("é😀");
        assertThat(a.get(2).textValue()).isEqualTo("'\"");
        assertThat(a.get(3).textValue()).isEqualTo("\u0000\u0000");
    }

    @Test
    void keywordErrorIsCutLikeQemusMessageBuffer() {
        // qsd: the message after "JSON parse error, " is cut to 1023 bytes.
        assertThat(parseWhole("x".repeat(1005) + " "))
                .containsExactly(E("JSON parse error, invalid keyword '" + "x".repeat(1005) + "'"));
        assertThat(parseWhole("x".repeat(1006) + " "))
                .containsExactly(E("JSON parse error, invalid keyword '" + "x".repeat(1006)));
        assertThat(parseWhole("x".repeat(2000) + " "))
                .containsExactly(E("JSON parse error, invalid keyword '" + "x".repeat(1006)));
    }

    // ------------------------------------------------------------------ limits (recorded)

    @Test
    void nestingDepth1024IsAccepted() {
        List<String> events = parseWhole("{\"execute\":\"x\",\"id\":" + "[".repeat(1023) + "]".repeat(1023) + "}");
        assertThat(events).containsExactly(V("{\"execute\": \"x\", \"id\": " + "[".repeat(1023) + "]".repeat(1023) + "}"));
        assertThat(parseWhole("[".repeat(1000) + "{\"a\":".repeat(24) + "1" + "}".repeat(24) + "]".repeat(1000)))
                .hasSize(1).allMatch(e -> e.startsWith("V:"));
    }

    @Test
    void nestingDepth1025FailsAndEveryLeftoverCloserIsAnError() {
        // qsd: 1 depth error, then 1025 x "expecting value".
        List<String> events = parseWhole("{\"execute\":\"x\",\"id\":" + "[".repeat(1024) + "]".repeat(1024) + "}");
        List<String> expected = new ArrayList<>();
        expected.add(E("JSON nesting depth limit exceeded"));
        expected.addAll(Collections.nCopies(1025, E("JSON parse error, expecting value")));
        assertThat(events).containsExactlyElementsOf(expected);
    }

    @Test
    void nestingCountsBracesPlusBrackets() {
        // qsd: depth error at the 25th '{', then "a" (not an object), ':' , 1 (not an object),
        // and 25 + 1000 closers: 1 depth error, 2 values, 1026 "expecting value".
        List<String> events = parseWhole("[".repeat(1000) + "{\"a\":".repeat(25) + "1" + "}".repeat(25) + "]".repeat(1000));
        assertThat(events.getFirst()).isEqualTo(E("JSON nesting depth limit exceeded"));
        assertThat(events.subList(1, 4)).containsExactly(V("\"a\""), E("JSON parse error, expecting value"), V("1"));
        assertThat(events).hasSize(1 + 2 + 1026);
        assertThat(events.subList(4, events.size())).allMatch(e -> e.equals(E("JSON parse error, expecting value")));
    }

    @Test
    void tokensAfterDepthOverflowAreParsedOneByOne() {
        assertThat(parseWhole("[".repeat(1025) + "1,\"a\",{}:")).containsExactly(
                E("JSON nesting depth limit exceeded"), V("1"), E("JSON parse error, expecting value"), V("\"a\""),
                E("JSON parse error, expecting value"), V("{}"), E("JSON parse error, expecting value"));
    }

    @Test
    void tokenCountLimit() {
        // 2097152 tokens: accepted (qsd: not an object).
        int k = 1048574;
        assertThat(parseWhole("[" + "0,".repeat(k) + "[]]")).hasSize(1).allMatch(e -> e.startsWith("V:["));
        // 2097153rd token is the closing bracket: one error.
        k = 1048575;
        assertThat(parseWhole("[" + "0,".repeat(k) + "0]")).containsExactly(E("JSON token count limit exceeded"));
        // Overflow at a comma: the rest "0]" is parsed afresh.
        k = 1048576;
        assertThat(parseWhole("[" + "0,".repeat(k) + "0]"))
                .containsExactly(E("JSON token count limit exceeded"), V("0"), E("JSON parse error, expecting value"));
    }

    @Test
    void tokenSizeLimitForOneString() {
        Recorder r = new Recorder();
        JsonStreamParser p = new JsonStreamParser(r);
        // A token of 64 MiB - 1 bytes (quotes included) is accepted, 64 MiB is not.
        p.feed(bigString(MIB64 - 1));
        assertThat(r.values).hasSize(1);
        assertThat(r.values.getFirst().textValue()).hasSize(MIB64 - 3);
        r.values.clear();
        r.events.clear();
        p.feed(bigString(MIB64));
        assertThat(r.take()).containsExactly(E("JSON token size limit exceeded"));
        p.feed(bigString(MIB64 + 1));
        assertThat(r.take()).containsExactly(E("JSON token size limit exceeded"));
    }

    @Test
    void overlongTokenIsCutAndLexingRestarts() {
        Recorder r = new Recorder();
        JsonStreamParser p = new JsonStreamParser(r);
        // qsd: '"' + 64 Mi 'a' + '"': the lexer gives up after 64 MiB + 1 bytes; the final quote
        // opens a new string, closed by the next chunk.
        p.feed(bigString(MIB64 + 2));
        assertThat(r.take()).containsExactly(E("JSON token size limit exceeded"));
        p.feed(b("x\""));
        assertThat(r.take()).containsExactly(V("\"x\""));
        // qsd: the bytes after the cut are lexed as a keyword.
        byte[] in = new byte[MIB64 + 7];
        java.util.Arrays.fill(in, (byte) 'a');
        in[0] = '"';
        in[in.length - 1] = ' ';
        p.feed(in);
        assertThat(r.take()).containsExactly(E("JSON token size limit exceeded"),
                E("JSON parse error, invalid keyword 'aaaaa'"));
    }

    @Test
    void tokenSizeLimitCountsAllTokensOfAValue() {
        Recorder r = new Recorder();
        JsonStreamParser p = new JsonStreamParser(r);
        // qsd: ["<64 MiB - 3 bytes>"] is accepted, ["<64 MiB - 2 bytes>"] is not.
        byte[] ok = bigArray(MIB64 - 3);
        p.feed(ok);
        assertThat(r.events).hasSize(1).allMatch(e -> e.startsWith("V:"));
        r.events.clear();
        p.feed(bigArray(MIB64 - 2));
        assertThat(r.take()).containsExactly(E("JSON token size limit exceeded"));
    }

    private static byte[] bigString(int tokenLength) {
        byte[] s = new byte[tokenLength];
        java.util.Arrays.fill(s, (byte) 'a');
        s[0] = '"';
        s[tokenLength - 1] = '"';
        return s;
    }

    private static byte[] bigArray(int stringTokenLength) {
        byte[] s = new byte[stringTokenLength + 2];
        java.util.Arrays.fill(s, (byte) 'a');
        s[0] = '[';
        s[1] = '"';
        s[s.length - 2] = '"';
        s[s.length - 1] = ']';
        return s;
    }

    // ------------------------------------------------------------------ API

    @Test
    void byteBufferFeedAdvancesPosition() {
        Recorder r = new Recorder();
        JsonStreamParser p = new JsonStreamParser(r);
        ByteBuffer heap = ByteBuffer.wrap(b("xx{\"a\":1}yy"), 2, 7);
        p.feed(heap);
        assertThat(heap.position()).isEqualTo(9);
        ByteBuffer direct = ByteBuffer.allocateDirect(20000);
        for (int i = 0; i < 1000; i++) {
            direct.put(b("{\"b\":2} \r\n"));
        }
        direct.flip();
        p.feed(direct);
        assertThat(direct.hasRemaining()).isFalse();
        assertThat(r.take()).hasSize(1001).first().isEqualTo(V("{\"a\": 1}"));
    }

    @Test
    void resetDropsPartialInput() {
        Recorder r = new Recorder();
        JsonStreamParser p = new JsonStreamParser(r);
        p.feed(b("{\"execute\": \"x"));
        p.reset();
        p.feed(b("{\"execute\": \"y\"}"));
        assertThat(r.take()).containsExactly(V("{\"execute\": \"y\"}"));
    }

    @Test
    void manySmallCommandsInOneFeed() {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 100_000; i++) {
            sb.append("{\"execute\":\"query-block-jobs\",\"id\":").append(i).append('}');
        }
        int[] count = {0};
        JsonStreamParser p = new JsonStreamParser(new JsonStreamParser.Sink() {
            @Override
            public void onValue(JsonNode value) {
                assertThat(value.get("id").intValue()).isEqualTo(count[0]++);
            }

            @Override
            public void onError(String desc) {
                throw new AssertionError(desc);
            }
        });
        p.feed(b(sb.toString()));
        assertThat(count[0]).isEqualTo(100_000);
    }
}
