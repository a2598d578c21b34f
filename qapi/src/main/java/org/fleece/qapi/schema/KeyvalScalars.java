package org.fleece.qapi.schema;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import org.fleece.qapi.QmpError;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.Locale;

/**
 * Command-line scalars: the strings of key=value options read as the schema's
 * types, the way QEMU's keyval input visitor reads them (integers in C's
 * bases, sizes with binary suffixes, on/off booleans), with its wording when
 * a string does not fit.
 */
final class KeyvalScalars {
    private static final JsonNodeFactory JSON = JsonNodeFactory.instance;
    private static final BigInteger UINT64_LIMIT = BigInteger.ONE.shiftLeft(64);
    private static final String SIZE_SUFFIXES = "BKMGTPE";

    private KeyvalScalars() {
    }

    static JsonNode convert(BuiltinType type, String text, String path) {
        return switch (type) {
            case STR, ANY -> JSON.textNode(text);
            case BOOL -> bool(text, path);
            case NUMBER -> number(text, path);
            case NULL -> {
                if (!text.isEmpty()) {
                    throw expects(path, "empty value");
                }
                yield JSON.nullNode();
            }
            case SIZE -> size(text, path);
            case UINT8, UINT16, UINT32, UINT64 -> integer(text, path, false);
            case INT, INT8, INT16, INT32, INT64 -> integer(text, path, true);
        };
    }

    private static JsonNode bool(String text, String path) {
        return switch (text) {
            case "on", "yes", "true", "y" -> JSON.booleanNode(true);
            case "off", "no", "false", "n" -> JSON.booleanNode(false);
            default -> throw expects(path, "'on' or 'off'");
        };
    }

    private static JsonNode number(String text, String path) {
        try {
            return JSON.numberNode(Double.parseDouble(text));
        } catch (NumberFormatException e) {
            throw expects(path, "number");
        }
    }

    /**
     * C's strtoll/strtoull with base 0: decimal, 0x hex, leading-0 octal; the whole string must be used.
     * Like strtoull, an unsigned parse takes a minus sign and wraps ("-1" is 2^64-1), so a narrower
     * unsigned type then fails its range check, with the C type in the message, as in QEMU.
     */
    private static JsonNode integer(String text, String path, boolean signed) {
        BigInteger value = parseC(text);
        if (!signed && value != null && value.signum() < 0 && value.negate().compareTo(UINT64_LIMIT) < 0) {
            value = value.add(UINT64_LIMIT);
        }
        boolean fits = value != null && (signed
                ? value.bitLength() < 64
                : value.signum() >= 0 && value.compareTo(UINT64_LIMIT) < 0);
        if (!fits) {
            throw expects(path, "integer");
        }
        return value.bitLength() < 64 ? JSON.numberNode(value.longValue()) : JSON.numberNode(value);
    }

    private static BigInteger parseC(String text) {
        String digits = text.trim();
        boolean negative = digits.startsWith("-");
        if (negative || digits.startsWith("+")) {
            digits = digits.substring(1);
        }
        int radix = 10;
        if (digits.length() > 1 && (digits.startsWith("0x") || digits.startsWith("0X"))) {
            radix = 16;
            digits = digits.substring(2);
        } else if (digits.length() > 1 && digits.startsWith("0")) {
            radix = 8;
            digits = digits.substring(1);
        }
        if (digits.isEmpty()) {
            return null;
        }
        try {
            BigInteger value = new BigInteger(digits, radix);
            return negative ? value.negate() : value;
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /** A size: a number, possibly with a fraction, and an optional binary suffix (k, M, G, ...). */
    private static JsonNode size(String text, String path) {
        String number = text;
        int shift = 0;
        if (!text.isEmpty()) {
            int suffix = SIZE_SUFFIXES.indexOf(Character.toUpperCase(text.charAt(text.length() - 1)));
            if (suffix >= 0) {
                shift = 10 * suffix;
                number = text.substring(0, text.length() - 1);
            }
        }
        try {
            BigDecimal value = new BigDecimal(number.toLowerCase(Locale.ROOT).startsWith("0x")
                    ? new BigInteger(number.substring(2), 16).toString() : number);
            BigInteger bytes = value.multiply(new BigDecimal(BigInteger.ONE.shiftLeft(shift))).toBigInteger();
            if (value.signum() < 0 || bytes.compareTo(UINT64_LIMIT) >= 0) {
                throw expects(path, "a non-negative number below 2^64");
            }
            return bytes.bitLength() < 64 ? JSON.numberNode(bytes.longValue()) : JSON.numberNode(bytes);
        } catch (NumberFormatException e) {
            throw expects(path, "a non-negative number below 2^64");
        }
    }

    private static QmpError expects(String path, String what) {
        return QmpError.generic("Parameter '" + path + "' expects " + what);
    }
}
