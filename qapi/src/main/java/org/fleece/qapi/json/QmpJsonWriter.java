package org.fleece.qapi.json;

import org.fleece.qapi.QDictOrder;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;

/**
 * Serialises JSON trees byte for byte the way QEMU 7.2's monitor does (compact form):
 *
 * <ul>
 * <li>separators {@code ", "} and {@code ": "}; {@code {}} and {@code []} when empty;</li>
 * <li>object members in QDict order: ascending {@code tdb_hash(key) % 512}, and within one bucket
 * the member inserted last first (see {@link #bucket});</li>
 * <li>strings in pure ASCII: {@code \" \\ \b \f \n \r \t}, other characters below 0x20 and from
 * 0x7F upwards as backslash-u escapes with upper-case hex, a surrogate pair above the BMP; {@code /}
 * is not escaped. Characters QEMU cannot hold in a string (lone surrogates, noncharacters such
 * as U+FFFE) come out as U+FFFD, as QEMU prints undecodable bytes;</li>
 * <li>integers in decimal (uint64 values held as {@code BigInteger}); floating-point numbers
 * like C's {@code %.17g}: {@code 0.5}, {@code 100}, {@code 9.9999999999999995e-08},
 * {@code 1.8446744073709552e+19}, {@code inf}, {@code -inf}, {@code nan}, {@code -0}.</li>
 * </ul>
 *
 * <p>No line terminator is written; the connection appends {@code \r\n}. The output accumulates
 * in an internal byte array ({@link #array()} up to {@link #length()}), reused after
 * {@link #reset()}. Not thread-safe.
 */
public final class QmpJsonWriter {

    private static final byte[] HEX = "0123456789ABCDEF".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] TRUE = {'t', 'r', 'u', 'e'};
    private static final byte[] FALSE = {'f', 'a', 'l', 's', 'e'};
    private static final byte[] NULL = {'n', 'u', 'l', 'l'};
    private static final int INITIAL = 256;
    private static final int KEEP = 1 << 20;
    private static final MathContext SEVENTEEN = new MathContext(17, RoundingMode.HALF_EVEN);

    /** QEMU's pretty=on monitors: one member or element a line, four spaces a level, CRLF line ends. */
    private final boolean pretty;
    private int depth;
    private byte[] buf = new byte[INITIAL];
    private int len;

    /** Member-ordering scratch, used as a stack by nested objects. */
    private long[] order = new long[16];
    private Object[] members = new Object[16];
    private int top;

    public QmpJsonWriter() {
        this(false);
    }

    public QmpJsonWriter(boolean pretty) {
        this.pretty = pretty;
    }

    /** Serialises {@code node} into a new string. */
    public static String toJson(JsonNode node) {
        return new QmpJsonWriter().write(node).toString();
    }

    /** Serialises {@code node} into a new byte array (ASCII). */
    public static byte[] toBytes(JsonNode node) {
        return new QmpJsonWriter().write(node).toByteArray();
    }

    /** Appends the serialisation of {@code node}. */
    public QmpJsonWriter write(JsonNode node) {
        value(node);
        return this;
    }

    /** The output buffer; valid from 0 to {@link #length()}. Changes on the next write. */
    public byte[] array() {
        return buf;
    }

    public int length() {
        return len;
    }

    /** Empties the output, keeping the buffer unless it grew large. */
    public QmpJsonWriter reset() {
        len = 0;
        if (buf.length > KEEP) {
            buf = new byte[INITIAL];
        }
        return this;
    }

    public byte[] toByteArray() {
        return Arrays.copyOf(buf, len);
    }

    @Override
    public String toString() {
        return new String(buf, 0, len, StandardCharsets.ISO_8859_1);
    }

    // ------------------------------------------------------------------ values

    private void value(JsonNode node) {
        switch (node.getNodeType()) {
            case OBJECT -> object(node);
            case ARRAY -> array(node);
            case STRING -> string(node.textValue());
            case NUMBER -> number(node);
            case BOOLEAN -> raw(node.booleanValue() ? TRUE : FALSE);
            case NULL, MISSING -> raw(NULL);
            default -> throw new IllegalArgumentException("cannot serialise a " + node.getNodeType() + " node");
        }
    }

    private void array(JsonNode node) {
        put('[');
        depth++;
        int n = node.size();
        for (int i = 0; i < n; i++) {
            separator(i);
            value(node.get(i));
        }
        depth--;
        closing();
        put(']');
    }

    /** Before the i-th member or element: ", " in compact output, "," and a new line when pretty. */
    private void separator(int i) {
        if (i > 0) {
            put(',');
            if (!pretty) {
                put(' ');
            }
        }
        if (pretty) {
            newline();
        }
    }

    /** QEMU puts even an empty object's or array's closing bracket on a line of its own. */
    private void closing() {
        if (pretty) {
            newline();
        }
    }

    private void newline() {
        put('\r');
        put('\n');
        for (int i = 0; i < depth * 4; i++) {
            put(' ');
        }
    }

    private void object(JsonNode node) {
        int n = node.size();
        if (n == 0) {
            put('{');
            closing();
            put('}');
            return;
        }
        int base = top;
        if (order.length < base + n) {
            int cap = Math.max(order.length * 2, base + n);
            order = Arrays.copyOf(order, cap);
            members = Arrays.copyOf(members, cap);
        }
        top = base + n;
        int i = 0;
        for (Map.Entry<String, JsonNode> e : ((ObjectNode) node).properties()) {
            members[base + i] = e;
            // Ascending bucket; inside a bucket the later member first.
            order[base + i] = (long) QDictOrder.bucket(e.getKey()) << 32 | (0xffffffffL - i);
            i++;
        }
        sort(order, base, base + n);
        put('{');
        depth++;
        for (int k = 0; k < n; k++) {
            separator(k);
            int idx = (int) (0xffffffffL - (order[base + k] & 0xffffffffL));
            @SuppressWarnings("unchecked")
            Map.Entry<String, JsonNode> e = (Map.Entry<String, JsonNode>) members[base + idx];
            string(e.getKey());
            put(':');
            put(' ');
            value(e.getValue());
        }
        depth--;
        closing();
        put('}');
        Arrays.fill(members, base, base + n, null);
        top = base;
    }

    private static void sort(long[] a, int from, int to) {
        if (to - from > 24) {
            Arrays.sort(a, from, to);
            return;
        }
        for (int i = from + 1; i < to; i++) {
            long v = a[i];
            int j = i - 1;
            while (j >= from && a[j] > v) {
                a[j + 1] = a[j];
                j--;
            }
            a[j + 1] = v;
        }
    }

    private void string(String s) {
        int n = s.length();
        put('"');
        int i = 0;
        while (i < n) {
            // Room for the worst case (6 bytes a char) of the next chunk, plus a trailing pair.
            int chunkEnd = Math.min(n, i + 4096);
            ensure((chunkEnd - i) * 6 + 8);
            byte[] b = buf;
            int p = len;
            for (; i < chunkEnd; i++) {
                char c = s.charAt(i);
                if (c >= 0x20 && c < 0x7f) {
                    if (c == '"' || c == '\\') {
                        b[p++] = '\\';
                    }
                    b[p++] = (byte) c;
                    continue;
                }
                switch (c) {
                    case '\b' -> p = escape(b, p, 'b');
                    case '\f' -> p = escape(b, p, 'f');
                    case '\n' -> p = escape(b, p, 'n');
                    case '\r' -> p = escape(b, p, 'r');
                    case '\t' -> p = escape(b, p, 't');
                    default -> {
                        if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(s.charAt(i + 1))) {
                            int cp = Character.toCodePoint(c, s.charAt(++i));
                            if ((cp & 0xfffe) == 0xfffe) {
                                p = unicode(b, p, 0xfffd);
                            } else {
                                p = unicode(b, p, c);
                                p = unicode(b, p, s.charAt(i));
                            }
                        } else if (Character.isSurrogate(c) || (c >= 0xfdd0 && c <= 0xfdef) || c >= 0xfffe) {
                            p = unicode(b, p, 0xfffd);
                        } else {
                            p = unicode(b, p, c);
                        }
                    }
                }
            }
            len = p;
        }
        put('"');
    }

    private static int escape(byte[] b, int p, char c) {
        b[p] = '\\';
        b[p + 1] = (byte) c;
        return p + 2;
    }

    private static int unicode(byte[] b, int p, int c) {
        b[p] = '\\';
        b[p + 1] = 'u';
        b[p + 2] = HEX[c >> 12 & 0xf];
        b[p + 3] = HEX[c >> 8 & 0xf];
        b[p + 4] = HEX[c >> 4 & 0xf];
        b[p + 5] = HEX[c & 0xf];
        return p + 6;
    }

    private void number(JsonNode node) {
        switch (node.numberType()) {
            case INT, LONG -> decimal(node.longValue());
            case BIG_INTEGER -> ascii(node.bigIntegerValue().toString());
            default -> ascii(formatDouble(node.doubleValue()));
        }
    }

    private void decimal(long v) {
        ensure(20);
        if (v < 0) {
            buf[len++] = '-';
            if (v == Long.MIN_VALUE) {
                ascii("9223372036854775808");
                return;
            }
            v = -v;
        }
        int digits = 1;
        for (long t = v; t >= 10; t /= 10) {
            digits++;
        }
        int p = len + digits;
        len = p;
        do {
            buf[--p] = (byte) ('0' + (int) (v % 10));
            v /= 10;
        } while (v != 0);
    }

    private void ascii(String s) {
        int n = s.length();
        ensure(n);
        for (int i = 0; i < n; i++) {
            buf[len++] = (byte) s.charAt(i);
        }
    }

    private void raw(byte[] bytes) {
        ensure(bytes.length);
        System.arraycopy(bytes, 0, buf, len, bytes.length);
        len += bytes.length;
    }

    private void put(char c) {
        if (len == buf.length) {
            ensure(1);
        }
        buf[len++] = (byte) c;
    }

    private void ensure(int extra) {
        if (buf.length - len < extra) {
            long want = Math.max((long) buf.length * 2, (long) len + extra);
            buf = Arrays.copyOf(buf, (int) Math.min(want, Integer.MAX_VALUE - 16));
        }
    }

    // ------------------------------------------------------------------ QEMU formats



    /** {@code d} as C's {@code printf("%.17g", d)} prints it (glibc). */
    public static String formatDouble(double d) {
        if (Double.isNaN(d)) {
            return Double.doubleToRawLongBits(d) < 0 ? "-nan" : "nan";
        }
        if (Double.isInfinite(d)) {
            return d > 0 ? "inf" : "-inf";
        }
        if (d == 0) {
            return Double.doubleToRawLongBits(d) < 0 ? "-0" : "0";
        }
        if (d == Math.rint(d) && Math.abs(d) < 1e17) {
            return Long.toString((long) d); // every integer below 1e17 has at most 17 digits
        }
        boolean negative = d < 0;
        BigDecimal rounded = new BigDecimal(Math.abs(d)).round(SEVENTEEN);
        String digits = rounded.unscaledValue().toString();
        int exponent = digits.length() - 1 - rounded.scale();
        int end = digits.length();
        while (end > 1 && digits.charAt(end - 1) == '0') {
            end--;
        }
        digits = digits.substring(0, end);
        StringBuilder sb = new StringBuilder(26);
        if (negative) {
            sb.append('-');
        }
        if (exponent < -4 || exponent >= 17) {
            sb.append(digits.charAt(0));
            if (digits.length() > 1) {
                sb.append('.').append(digits, 1, digits.length());
            }
            sb.append('e').append(exponent < 0 ? '-' : '+');
            int abs = Math.abs(exponent);
            if (abs < 10) {
                sb.append('0');
            }
            sb.append(abs);
        } else if (exponent >= 0) {
            if (digits.length() <= exponent + 1) {
                sb.append(digits);
                sb.repeat('0', exponent + 1 - digits.length());
            } else {
                sb.append(digits, 0, exponent + 1).append('.').append(digits, exponent + 1, digits.length());
            }
        } else {
            sb.append("0.");
            sb.repeat('0', -exponent - 1);
            sb.append(digits);
        }
        return sb.toString();
    }
}
