package org.fleece.qapi.json;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.BigIntegerNode;
import com.fasterxml.jackson.databind.node.BooleanNode;
import com.fasterxml.jackson.databind.node.DoubleNode;
import com.fasterxml.jackson.databind.node.IntNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.LongNode;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;

import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * Incremental parser for the JSON dialect QEMU's monitor accepts, fed with raw bytes as they
 * arrive. It reproduces qemu-storage-daemon 7.2 as observed on the wire (the expected outcomes in
 * {@code JsonStreamParserTest} were recorded from the real daemon):
 *
 * <ul>
 * <li>Values follow each other without delimiters; whitespace ({@code ' ' \t \r \n}) between
 * tokens is ignored. Chunks may be split anywhere.</li>
 * <li>Extensions: single-quoted strings, and the {@code \'} escape in both kinds of string.</li>
 * <li>Tokens are collected until the {@code {}} and {@code []} counts balance (or one goes
 * negative); only then is the collected value parsed, so a syntax error inside a value is
 * reported once that value's brackets close. A top-level scalar is emitted as soon as its token
 * is complete: a string at its closing quote, a number or keyword only when the next byte
 * arrives.</li>
 * <li>A lexical error (a byte that cannot continue or start a token) is reported at once as
 * {@code JSON parse error, stray '<token so far>'}; the collected tokens are dropped and bytes
 * are skipped until a structural character, a control character other than tab, or 0xFE/0xFF,
 * which is where lexing resumes (so a control character or 0xFF forces a resynchronisation, and
 * is itself reported as stray).</li>
 * <li>Limits per value: 64 MiB of token text, 2 Mi tokens, 1024 nesting levels (counted as open
 * braces plus open brackets). Exceeding one reports the error at once and drops the collected
 * tokens; the rest of the input is then parsed from scratch, token by token.</li>
 * </ul>
 *
 * <p>Value representation (the same node types Jackson's {@code readTree} yields for standard
 * JSON): integers that fit int32 → {@link IntNode}, int64 → {@link LongNode}; non-negative
 * integers above int64 that fit uint64 (QEMU's QNUM_U64) → {@link BigIntegerNode}; any other
 * integer and every number with a fraction or exponent → {@link DoubleNode} (1e400 becomes
 * infinity, like C's strtod). Strings → {@link TextNode}; the escape for U+0000 and the two-byte form
 * C0 80 become U+0000. Objects → {@link ObjectNode} in input order (the writer applies QEMU's
 * hash order).
 *
 * <p>Not thread-safe; one instance per connection. The sink is called synchronously from
 * {@link #feed}, after the parser has already reset its state for the next value; it must not
 * call {@code feed} itself (if it throws, the rest of that chunk is not parsed). Memory: the
 * text of the value being collected is buffered (at most about 128 MiB, as in QEMU); buffers
 * that grew large are released after each value.
 */
public final class JsonStreamParser {

    /** Receives, in input order, each complete top-level value or parse error. */
    public interface Sink {
        /** A complete top-level JSON value (of any type; QMP rejects non-objects later). */
        void onValue(JsonNode value);

        /** A parse error; {@code desc} is the exact text QEMU puts in its GenericError. */
        void onError(String desc);
    }

    /** Bytes of token text allowed per value (QEMU: {@code token_size + len + 1 > 64 MiB} fails). */
    public static final int MAX_TOKEN_SIZE = 64 << 20;
    /** Tokens allowed per value. */
    public static final int MAX_TOKEN_COUNT = 2 << 20;
    /** Open braces plus open brackets allowed. */
    public static final int MAX_NESTING = 1024;

    public static final String ERR_TOKEN_SIZE = "JSON token size limit exceeded";
    public static final String ERR_TOKEN_COUNT = "JSON token count limit exceeded";
    public static final String ERR_NESTING = "JSON nesting depth limit exceeded";

    // Lexer states.
    private static final int S_START = 0;
    private static final int S_RECOVERY = 1;
    private static final int S_DQ = 2;
    private static final int S_DQ_ESC = 3;
    private static final int S_SQ = 4;
    private static final int S_SQ_ESC = 5;
    private static final int S_ZERO = 6;
    private static final int S_SIGN = 7;
    private static final int S_DIGITS = 8;
    private static final int S_DOT = 9;
    private static final int S_FRAC = 10;
    private static final int S_EXP = 11;
    private static final int S_EXP_SIGN = 12;
    private static final int S_EXP_DIGITS = 13;
    private static final int S_KEYWORD = 14;

    // Token types.
    private static final byte T_LCURLY = 1;
    private static final byte T_RCURLY = 2;
    private static final byte T_LSQUARE = 3;
    private static final byte T_RSQUARE = 4;
    private static final byte T_COLON = 5;
    private static final byte T_COMMA = 6;
    private static final byte T_INTEGER = 7;
    private static final byte T_FLOAT = 8;
    private static final byte T_KEYWORD = 9;
    private static final byte T_STRING = 10;

    private static final int INITIAL_TEXT = 512;
    private static final int INITIAL_TOKENS = 64;
    private static final int KEEP_TEXT = 64 << 10;
    private static final int KEEP_TOKENS = 8 << 10;
    /** QEMU formats parser messages into a 1024-byte buffer. */
    private static final int MAX_MESSAGE = 1023;

    private static final int MIN_CP_2 = 0x80;
    private static final int MIN_CP_3 = 0x800;
    private static final int MIN_CP_4 = 0x10000;
    private static final int MIN_CP_5 = 0x200000;
    private static final int MIN_CP_6 = 0x4000000;

    private static final int KEY_CACHE_SIZE = 256;
    private static final int KEY_CACHE_MAX_LENGTH = 32;

    private final Sink sink;
    private final String[] keyCache = new String[KEY_CACHE_SIZE];
    /** For feeding from direct buffers. */
    private byte[] copyBuffer;
    private final JsonNodeFactory factory;

    private int state = S_START;

    /** Text of the collected text tokens, followed by the token being lexed. */
    private byte[] text = new byte[INITIAL_TEXT];
    /** End of {@link #text}. */
    private int textLen;
    /** Start of the token being lexed in {@link #text}. */
    private int tokStart;

    private byte[] tokType = new byte[INITIAL_TOKENS];
    private int[] tokOff = new int[INITIAL_TOKENS];
    private int[] tokLen = new int[INITIAL_TOKENS];
    private int tokCount;
    private long tokenSize;
    private int braces;
    private int brackets;

    // Parser state (valid during parse()).
    private int pos;
    private String parseError;
    private StringBuilder scratch;
    private int decodeEnd;

    /** Everything a complete text holds: its values and its parse errors, in order. */
    public record Parsed(List<JsonNode> values, List<String> errors) {
    }

    /** Parses a whole text (a file, an option value) rather than a stream. */
    public static Parsed parseText(byte[] text) {
        List<JsonNode> values = new ArrayList<>();
        List<String> errors = new ArrayList<>();
        JsonStreamParser parser = new JsonStreamParser(new Sink() {
            @Override
            public void onValue(JsonNode value) {
                values.add(value);
            }

            @Override
            public void onError(String desc) {
                errors.add(desc);
            }
        });
        parser.feed(text);
        // A number at the very end is complete only once something follows it.
        parser.feed(new byte[] {'\n'});
        return new Parsed(values, errors);
    }

    public JsonStreamParser(Sink sink) {
        this(sink, JsonNodeFactory.instance);
    }

    public JsonStreamParser(Sink sink, JsonNodeFactory factory) {
        this.sink = Objects.requireNonNull(sink, "sink");
        this.factory = Objects.requireNonNull(factory, "factory");
    }

    /** Drops any partial input, as QEMU does when a client disconnects. */
    public void reset() {
        state = S_START;
        clearCollected();
    }

    /** Feeds the remaining bytes of {@code buf}, advancing its position to its limit. */
    public void feed(ByteBuffer buf) {
        if (buf.hasArray()) {
            int n = buf.remaining();
            feed(buf.array(), buf.arrayOffset() + buf.position(), n);
            buf.position(buf.position() + n);
            return;
        }
        byte[] chunk = copyBuffer;
        if (chunk == null) {
            chunk = copyBuffer = new byte[8192];
        }
        while (buf.hasRemaining()) {
            int n = Math.min(buf.remaining(), chunk.length);
            buf.get(chunk, 0, n);
            feed(chunk, 0, n);
        }
    }

    public void feed(byte[] buf) {
        feed(buf, 0, buf.length);
    }

    /** Feeds {@code len} bytes of {@code buf} from {@code off}; emits what completes. */
    public void feed(byte[] buf, int off, int len) {
        Objects.checkFromIndexSize(off, len, buf.length);
        int i = off;
        final int end = off + len;
        while (i < end) {
            int b = buf[i] & 0xff;
            switch (state) {
                case S_START -> {
                    i++;
                    switch (b) {
                        case ' ', '\t', '\r', '\n' -> {
                        }
                        case '{' -> structural(T_LCURLY);
                        case '}' -> structural(T_RCURLY);
                        case '[' -> structural(T_LSQUARE);
                        case ']' -> structural(T_RSQUARE);
                        case ':' -> structural(T_COLON);
                        case ',' -> structural(T_COMMA);
                        case '"' -> begin(b, S_DQ);
                        case '\'' -> begin(b, S_SQ);
                        case '0' -> begin(b, S_ZERO);
                        case '-' -> begin(b, S_SIGN);
                        default -> {
                            if (b >= '1' && b <= '9') {
                                begin(b, S_DIGITS);
                            } else if (b >= 'a' && b <= 'z') {
                                begin(b, S_KEYWORD);
                            } else {
                                append(b);
                                lexError();
                            }
                        }
                    }
                }
                case S_RECOVERY -> {
                    if ((b < 0x20 && b != '\t') || b >= 0xfe || b == '[' || b == ']' || b == '{'
                            || b == '}' || b == ':' || b == ',') {
                        state = S_START;
                    } else {
                        i++;
                    }
                }
                case S_DQ, S_SQ -> {
                    int quote = state == S_DQ ? '"' : '\'';
                    int room = MAX_TOKEN_SIZE + 1 - (textLen - tokStart);
                    int limit = end - i <= room ? end : i + room;
                    int j = i;
                    while (j < limit) {
                        int c = buf[j] & 0xff;
                        if (c == quote || c == '\\' || c < 0x20 || c >= 0xfe) {
                            break;
                        }
                        j++;
                    }
                    if (j > i) {
                        appendRange(buf, i, j - i);
                        i = j;
                    } else {
                        i++;
                        append(b);
                        if (b == quote) {
                            textToken(T_STRING);
                        } else if (b == '\\') {
                            state = state == S_DQ ? S_DQ_ESC : S_SQ_ESC;
                        } else {
                            lexError();
                        }
                    }
                }
                case S_DQ_ESC, S_SQ_ESC -> {
                    i++;
                    append(b);
                    if (b >= 0x20 && b <= 0xfd) {
                        state = state == S_DQ_ESC ? S_DQ : S_SQ;
                    } else {
                        lexError();
                    }
                }
                case S_ZERO -> {
                    if (b == '.') {
                        i++;
                        append(b);
                        state = S_DOT;
                    } else if (b >= '0' && b <= '9') {
                        i++;
                        append(b);
                        lexError();
                    } else {
                        textToken(T_INTEGER);
                    }
                }
                case S_SIGN -> {
                    i++;
                    append(b);
                    if (b == '0') {
                        state = S_ZERO;
                    } else if (b >= '1' && b <= '9') {
                        state = S_DIGITS;
                    } else {
                        lexError();
                    }
                }
                case S_DIGITS -> {
                    if (b >= '0' && b <= '9') {
                        i++;
                        append(b);
                    } else if (b == '.') {
                        i++;
                        append(b);
                        state = S_DOT;
                    } else if (b == 'e' || b == 'E') {
                        i++;
                        append(b);
                        state = S_EXP;
                    } else {
                        textToken(T_INTEGER);
                    }
                }
                case S_DOT -> {
                    i++;
                    append(b);
                    if (b >= '0' && b <= '9') {
                        state = S_FRAC;
                    } else {
                        lexError();
                    }
                }
                case S_FRAC -> {
                    if (b >= '0' && b <= '9') {
                        i++;
                        append(b);
                    } else if (b == 'e' || b == 'E') {
                        i++;
                        append(b);
                        state = S_EXP;
                    } else {
                        textToken(T_FLOAT);
                    }
                }
                case S_EXP -> {
                    i++;
                    append(b);
                    if (b == '+' || b == '-') {
                        state = S_EXP_SIGN;
                    } else if (b >= '0' && b <= '9') {
                        state = S_EXP_DIGITS;
                    } else {
                        lexError();
                    }
                }
                case S_EXP_SIGN -> {
                    i++;
                    append(b);
                    if (b >= '0' && b <= '9') {
                        state = S_EXP_DIGITS;
                    } else {
                        lexError();
                    }
                }
                case S_EXP_DIGITS -> {
                    if (b >= '0' && b <= '9') {
                        i++;
                        append(b);
                    } else {
                        textToken(T_FLOAT);
                    }
                }
                case S_KEYWORD -> {
                    if (b >= 'a' && b <= 'z') {
                        i++;
                        append(b);
                    } else {
                        textToken(T_KEYWORD);
                    }
                }
                default -> throw new IllegalStateException("lexer state " + state);
            }
            if (textLen - tokStart > MAX_TOKEN_SIZE) {
                // QEMU's lexer hands an over-long token to the streamer unfinished, which rejects
                // it; lexing then restarts right after the byte that made it too long.
                state = S_START;
                fail(ERR_TOKEN_SIZE);
            }
        }
    }

    // ---------------------------------------------------------------- lexer helpers

    private void begin(int b, int newState) {
        append(b);
        state = newState;
    }

    private void append(int b) {
        if (textLen == text.length) {
            growText(1);
        }
        text[textLen++] = (byte) b;
    }

    private void appendRange(byte[] src, int off, int len) {
        if (text.length - textLen < len) {
            growText(len);
        }
        System.arraycopy(src, off, text, textLen, len);
        textLen += len;
    }

    private void growText(int extra) {
        long want = Math.max((long) text.length * 2, (long) textLen + extra);
        text = Arrays.copyOf(text, (int) Math.min(want, Integer.MAX_VALUE - 16));
    }

    /** A lexical error: the token so far, including the offending byte, is reported as stray. */
    private void lexError() {
        String desc = "JSON parse error, stray '" + displayTokenText(text, tokStart, textLen) + "'";
        state = S_RECOVERY;
        fail(desc);
    }

    // ---------------------------------------------------------------- streamer

    private void structural(byte type) {
        token(type, 1);
    }

    private void textToken(byte type) {
        state = S_START;
        token(type, textLen - tokStart);
    }

    private void token(byte type, int len) {
        switch (type) {
            case T_LCURLY -> braces++;
            case T_RCURLY -> braces--;
            case T_LSQUARE -> brackets++;
            case T_RSQUARE -> brackets--;
            default -> {
            }
        }
        if (tokenSize + len + 1 > MAX_TOKEN_SIZE) {
            fail(ERR_TOKEN_SIZE);
            return;
        }
        if (tokCount + 1 > MAX_TOKEN_COUNT) {
            fail(ERR_TOKEN_COUNT);
            return;
        }
        if (braces + brackets > MAX_NESTING) {
            fail(ERR_NESTING);
            return;
        }
        if (tokCount == tokType.length) {
            growTokens();
        }
        tokType[tokCount] = type;
        tokOff[tokCount] = tokStart;
        tokLen[tokCount] = len;
        tokCount++;
        tokenSize += len;
        tokStart = textLen;

        if ((braces > 0 || brackets > 0) && braces >= 0 && brackets >= 0) {
            return;
        }
        JsonNode value = parse();
        String error = parseError;
        clearCollected();
        if (value != null) {
            sink.onValue(value);
        } else {
            sink.onError(error);
        }
    }

    private void growTokens() {
        int n = Math.min(tokType.length * 2, MAX_TOKEN_COUNT);
        tokType = Arrays.copyOf(tokType, n);
        tokOff = Arrays.copyOf(tokOff, n);
        tokLen = Arrays.copyOf(tokLen, n);
    }

    private void fail(String desc) {
        clearCollected();
        sink.onError(desc);
    }

    private void clearCollected() {
        tokCount = 0;
        tokenSize = 0;
        braces = 0;
        brackets = 0;
        textLen = 0;
        tokStart = 0;
        parseError = null;
        if (text.length > KEEP_TEXT) {
            text = new byte[INITIAL_TEXT];
        }
        if (tokType.length > KEEP_TOKENS) {
            tokType = new byte[INITIAL_TOKENS];
            tokOff = new int[INITIAL_TOKENS];
            tokLen = new int[INITIAL_TOKENS];
        }
    }

    // ---------------------------------------------------------------- parser

    private JsonNode parse() {
        pos = 0;
        parseError = null;
        JsonNode value = parseValue();
        return parseError == null ? value : null;
    }

    /** Records a parser error; as in QEMU only the first one counts. */
    private void error(String message) {
        if (parseError == null) {
            if (message.length() > MAX_MESSAGE) {
                message = message.substring(0, MAX_MESSAGE);
            }
            parseError = "JSON parse error, " + message;
        }
    }

    private JsonNode parseValue() {
        if (pos >= tokCount) {
            error("premature EOI");
            return null;
        }
        return switch (tokType[pos]) {
            case T_LCURLY -> parseObject();
            case T_LSQUARE -> parseArray();
            case T_STRING -> {
                String s = parseString(pos++);
                yield s == null ? null : TextNode.valueOf(s);
            }
            case T_INTEGER -> parseInteger(pos++);
            case T_FLOAT -> parseFloat(pos++);
            case T_KEYWORD -> parseKeyword(pos++);
            default -> {
                error("expecting value");
                yield null;
            }
        };
    }

    private ObjectNode parseObject() {
        pos++; // '{'
        ObjectNode object = factory.objectNode();
        if (pos >= tokCount) {
            error("premature EOI");
            return null;
        }
        if (tokType[pos] == T_RCURLY) {
            pos++;
            return object;
        }
        if (!parsePair(object)) {
            return null;
        }
        while (true) {
            if (pos >= tokCount) {
                error("premature EOI");
                return null;
            }
            byte t = tokType[pos++];
            if (t == T_RCURLY) {
                return object;
            }
            if (t != T_COMMA) {
                error("expected separator in dict");
                return null;
            }
            if (!parsePair(object)) {
                return null;
            }
        }
    }

    private boolean parsePair(ObjectNode object) {
        if (pos >= tokCount) {
            error("premature EOI");
            return false;
        }
        String key;
        if (tokType[pos] == T_STRING) {
            key = parseKey(pos++);
            if (key == null) {
                return false;
            }
        } else {
            parseValue();
            error("key is not a string in object");
            return false;
        }
        if (pos >= tokCount) {
            error("premature EOI");
            return false;
        }
        if (tokType[pos++] != T_COLON) {
            error("missing : in object pair");
            return false;
        }
        JsonNode value = parseValue();
        if (value == null) {
            error("Missing value in dict");
            return false;
        }
        if (object.putIfAbsent(key, value) != null) {
            error("duplicate key");
            return false;
        }
        return true;
    }

    private ArrayNode parseArray() {
        pos++; // '['
        ArrayNode array = factory.arrayNode();
        if (pos >= tokCount) {
            error("premature EOI");
            return null;
        }
        if (tokType[pos] == T_RSQUARE) {
            pos++;
            return array;
        }
        while (true) {
            JsonNode element = parseValue();
            if (element == null) {
                error("expecting value");
                return null;
            }
            array.add(element);
            if (pos >= tokCount) {
                error("premature EOI");
                return null;
            }
            byte t = tokType[pos++];
            if (t == T_RSQUARE) {
                return array;
            }
            if (t != T_COMMA) {
                error("expected separator in list");
                return null;
            }
        }
    }

    /** Object keys repeat from command to command: short plain ones are shared, not re-created. */
    private String parseKey(int t) {
        int off = tokOff[t] + 1;
        int len = tokLen[t] - 2;
        if (len > KEY_CACHE_MAX_LENGTH) {
            return parseString(t);
        }
        byte[] s = text;
        int h = len;
        for (int i = off; i < off + len; i++) {
            int c = s[i];
            if (c < 0x20 || c == '\\') {
                return parseString(t);
            }
            h = 31 * h + c;
        }
        int slot = (h ^ (h >>> 7)) & (KEY_CACHE_SIZE - 1);
        String cached = keyCache[slot];
        if (cached != null && cached.length() == len) {
            boolean same = true;
            for (int i = 0; i < len; i++) {
                if (cached.charAt(i) != s[off + i]) {
                    same = false;
                    break;
                }
            }
            if (same) {
                return cached;
            }
        }
        String key = new String(s, off, len, StandardCharsets.ISO_8859_1);
        keyCache[slot] = key;
        return key;
    }

    private JsonNode parseKeyword(int t) {
        int off = tokOff[t];
        int len = tokLen[t];
        byte[] s = text;
        if (len == 4 && s[off] == 't' && s[off + 1] == 'r' && s[off + 2] == 'u' && s[off + 3] == 'e') {
            return BooleanNode.TRUE;
        }
        if (len == 5 && s[off] == 'f' && s[off + 1] == 'a' && s[off + 2] == 'l' && s[off + 3] == 's'
                && s[off + 4] == 'e') {
            return BooleanNode.FALSE;
        }
        if (len == 4 && s[off] == 'n' && s[off + 1] == 'u' && s[off + 2] == 'l' && s[off + 3] == 'l') {
            return NullNode.instance;
        }
        error("invalid keyword '" + new String(s, off, len, StandardCharsets.ISO_8859_1) + "'");
        return null;
    }

    private JsonNode parseInteger(int t) {
        int off = tokOff[t];
        int len = tokLen[t];
        byte[] s = text;
        boolean negative = s[off] == '-';
        int p = negative ? off + 1 : off;
        int end = off + len;
        int digits = end - p;
        if (digits <= 18) {
            long v = 0;
            for (; p < end; p++) {
                v = v * 10 + (s[p] - '0');
            }
            return integerNode(negative ? -v : v);
        }
        if (digits <= 20) {
            // Accumulate as an unsigned 64-bit number, detecting overflow.
            long v = 0;
            boolean overflow = false;
            for (; p < end; p++) {
                if (Long.compareUnsigned(v, 1844674407370955161L) > 0) {
                    overflow = true;
                    break;
                }
                long next = v * 10 + (s[p] - '0');
                if (Long.compareUnsigned(next, v * 10) < 0) {
                    overflow = true;
                    break;
                }
                v = next;
            }
            if (!overflow) {
                if (negative) {
                    if (Long.compareUnsigned(v, Long.MIN_VALUE) <= 0) {
                        return integerNode(-v);
                    }
                } else if (v >= 0) {
                    return integerNode(v);
                } else {
                    return BigIntegerNode.valueOf(new BigInteger(Long.toUnsignedString(v)));
                }
            }
        }
        return DoubleNode.valueOf(Double.parseDouble(new String(s, off, len, StandardCharsets.ISO_8859_1)));
    }

    private static JsonNode integerNode(long v) {
        return v == (int) v ? IntNode.valueOf((int) v) : LongNode.valueOf(v);
    }

    private JsonNode parseFloat(int t) {
        return DoubleNode.valueOf(
                Double.parseDouble(new String(text, tokOff[t], tokLen[t], StandardCharsets.ISO_8859_1)));
    }

    /** Decodes a string token (quotes included); null after recording an error. */
    private String parseString(int t) {
        byte[] s = text;
        int start = tokOff[t] + 1;
        int end = tokOff[t] + tokLen[t] - 1; // the closing quote
        int p = start;
        while (p < end && s[p] >= 0x20 && s[p] != '\\') {
            p++;
        }
        if (p == end) {
            return new String(s, start, end - start, StandardCharsets.ISO_8859_1);
        }
        StringBuilder sb = scratch;
        if (sb == null) {
            sb = scratch = new StringBuilder(64);
        }
        sb.setLength(0);
        for (int i = start; i < p; i++) {
            sb.append((char) s[i]);
        }
        int tokenEnd = end + 1;
        while (p < end) {
            int b = s[p] & 0xff;
            if (b == '\\') {
                int beg = p;
                int e = s[p + 1] & 0xff;
                p += 2;
                switch (e) {
                    case '"' -> sb.append('"');
                    case '\'' -> sb.append('\'');
                    case '\\' -> sb.append('\\');
                    case '/' -> sb.append('/');
                    case 'b' -> sb.append('\b');
                    case 'f' -> sb.append('\f');
                    case 'n' -> sb.append('\n');
                    case 'r' -> sb.append('\r');
                    case 't' -> sb.append('\t');
                    case 'u' -> {
                        int cp = hex4(s, p, tokenEnd);
                        p += 4;
                        if (cp >= 0xd800 && cp <= 0xdbff && p + 1 < tokenEnd && s[p] == '\\' && s[p + 1] == 'u') {
                            int low = hex4(s, p + 2, tokenEnd);
                            if (low >= 0xdc00 && low <= 0xdfff) {
                                cp = 0x10000 + ((cp & 0x3ff) << 10) + (low & 0x3ff);
                                p += 6;
                            } else {
                                cp = -1;
                            }
                        }
                        if (!isValidCodepoint(cp)) {
                            // QEMU prints the escape text with %.*s, which stops at the end of the token.
                            error(displayText(s, beg, Math.min(p, tokenEnd)) + " is not a valid Unicode character");
                            return null;
                        }
                        sb.appendCodePoint(cp);
                    }
                    default -> {
                        error("invalid escape sequence in string");
                        return null;
                    }
                }
            } else if (b < 0x80) {
                sb.append((char) b);
                p++;
            } else {
                int cp = codepoint(s, p, end);
                if (cp < 0) {
                    error("invalid UTF-8 sequence in string");
                    return null;
                }
                sb.appendCodePoint(cp);
                p = decodeEnd;
            }
        }
        String result = sb.toString();
        if (sb.capacity() > 4096) {
            scratch = null;
        }
        return result;
    }

    private static int hex4(byte[] s, int p, int end) {
        int cp = 0;
        for (int i = 0; i < 4; i++) {
            if (p + i >= end) {
                return -1;
            }
            int c = s[p + i];
            int d;
            if (c >= '0' && c <= '9') {
                d = c - '0';
            } else if (c >= 'a' && c <= 'f') {
                d = c - 'a' + 10;
            } else if (c >= 'A' && c <= 'F') {
                d = c - 'A' + 10;
            } else {
                return -1;
            }
            cp = cp << 4 | d;
        }
        return cp;
    }

    /** Whether QEMU can store {@code cp} in a string: no surrogates, no noncharacters. */
    static boolean isValidCodepoint(int cp) {
        if (cp < 0 || cp > 0x10ffff) {
            return false;
        }
        if ((cp >= 0xfdd0 && cp <= 0xfdef) || (cp & 0xfffe) == 0xfffe) {
            return false;
        }
        return cp < 0xd800 || cp > 0xdfff;
    }

    /**
     * Decodes one UTF-8 sequence at {@code p} the way QEMU's {@code mod_utf8_codepoint} does:
     * returns the code point or -1 (truncated, overlong other than C0 80, surrogate, noncharacter
     * or beyond U+10FFFF), and leaves the index after the bytes it consumed in
     * {@link #decodeEnd}. A missing continuation byte ends the sequence before that byte.
     */
    private int codepoint(byte[] s, int p, int end) {
        int b = s[p++] & 0xff;
        int cp;
        if (b < 0x80) {
            cp = b;
        } else if (b >= 0xfe || (b & 0x40) == 0) {
            cp = -1;
        } else {
            int len = Integer.numberOfLeadingZeros(~(b << 24));
            cp = b & (0xff >>> (len + 1));
            cp = continuation(s, p, end, len, cp);
            p = decodeEnd;
            if (cp >= 0) {
                int min = switch (len) {
                    case 2 -> MIN_CP_2;
                    case 3 -> MIN_CP_3;
                    case 4 -> MIN_CP_4;
                    case 5 -> MIN_CP_5;
                    default -> MIN_CP_6;
                };
                if (!isValidCodepoint(cp) || (cp < min && !(cp == 0 && len == 2))) {
                    cp = -1;
                }
            }
        }
        decodeEnd = p;
        return cp;
    }

    private int continuation(byte[] s, int p, int end, int len, int cp) {
        for (int i = 1; i < len; i++) {
            int c = p < end ? s[p] & 0xff : 0;
            if ((c & 0xc0) != 0x80) {
                decodeEnd = p;
                return -1;
            }
            p++;
            cp = cp << 6 | (c & 0x3f);
        }
        decodeEnd = p;
        return cp;
    }

    /** Token text as QEMU's {@code %s} plus JSON writer show it: up to the first NUL byte. */
    private String displayTokenText(byte[] s, int from, int to) {
        for (int i = from; i < to; i++) {
            if (s[i] == 0) {
                to = i;
                break;
            }
        }
        return displayText(s, from, to);
    }

    /** Raw bytes as QEMU's JSON writer shows them: each undecodable sequence as U+FFFD. */
    private String displayText(byte[] s, int from, int to) {
        StringBuilder sb = new StringBuilder(to - from);
        int p = from;
        while (p < to) {
            int b = s[p] & 0xff;
            if (b < 0x80) {
                sb.append((char) b);
                p++;
            } else {
                int cp = codepoint(s, p, to);
                sb.appendCodePoint(cp < 0 ? 0xfffd : cp);
                p = decodeEnd;
            }
        }
        return sb.toString();
    }
}
