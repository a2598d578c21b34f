package org.fleece.server.hmp;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.List;

/**
 * qemu-io's number arguments. Offsets and lengths are byte counts as QEMU's
 * size parser reads them: decimal, optionally with a fraction when a suffix
 * scales it ("1.5k"), or hex ("0x200"); suffixes b, k, M, G, T, P, E in either
 * case, powers of 1024; a suffix on a hex number is accepted with a warning.
 * Patterns are C integers (decimal, 0x hex, 0 octal) from 0 to 255.
 * Errors are printed with qemu-io's words and reported as -1.
 */
final class Numbers {
    /** The largest request the block layer takes: INT_MAX rounded down to 512 bytes. */
    static final long MAX_REQUEST_BYTES = 2147483136L;

    private static final BigInteger TWO_64 = BigInteger.ONE.shiftLeft(64);
    private static final BigInteger LONG_MAX = BigInteger.valueOf(Long.MAX_VALUE);

    private Numbers() {
    }

    /** Why a number was refused: the two messages qemu-io has. */
    private static final class Refused extends Exception {
        final boolean tooLarge;

        Refused(boolean tooLarge) {
            super(null, null, false, false);
            this.tooLarge = tooLarge;
        }
    }

    /** A byte count or offset; -1 once the error is printed. */
    static long size(String arg, Console console) {
        try {
            BigInteger value = parseSize(arg, console);
            if (value.compareTo(LONG_MAX) > 0) {
                throw new Refused(true);
            }
            return value.longValue();
        } catch (Refused e) {
            console.out(e.tooLarge ? "Parsing error: argument too large -- " + arg + "\n"
                    : "Parsing error: non-numeric argument, or extraneous/unrecognized suffix -- " + arg + "\n");
            return -1;
        }
    }

    /**
     * Parses the whole argument: an integral part, then a fraction or a hex
     * reading, then an optional suffix; anything left over makes it
     * non-numeric, which takes precedence over "too large".
     */
    private static BigInteger parseSize(String s, Console console) throws Refused {
        int n = s.length();
        int p = skipSpace(s, 0);
        int signAt = p;
        if (p < n && (s.charAt(p) == '+' || s.charAt(p) == '-')) {
            p++;
        }
        int digits = p;
        while (p < n && isDigit(s.charAt(p))) {
            p++;
        }
        if (p == digits) {
            throw new Refused(false);
        }
        BigInteger value = new BigInteger(s.substring(digits, p));
        if (value.compareTo(TWO_64) >= 0) {
            throw new Refused(p == n);
        }
        if (s.charAt(signAt) == '-') {
            throw new Refused(false);
        }
        boolean hex = false;
        BigInteger fraction = BigInteger.ZERO;   // in units of 2^-64
        if (value.signum() == 0 && p < n && (s.charAt(p) == 'x' || s.charAt(p) == 'X')) {
            // Read again as hex: "0x" takes the digits after it; anything else stops at the 'x'.
            if (p - digits == 1) {
                int q = p + 1;
                while (q < n && hexDigit(s.charAt(q))) {
                    q++;
                }
                if (q > p + 1) {
                    value = new BigInteger(s.substring(p + 1, q), 16);
                    p = q;
                    if (value.compareTo(TWO_64) >= 0) {
                        throw new Refused(p == n);
                    }
                }
            }
            if (p < n && s.charAt(p) == '.') {
                throw new Refused(false);
            }
            hex = true;
        } else if (p < n && s.charAt(p) == '.') {
            int q = p + 1;
            while (q < n && isDigit(s.charAt(q))) {
                q++;
            }
            if (q == p + 1) {
                p++;                             // a lone '.' ("1.k") is skipped
            } else {
                int e = q;
                if (e < n && (s.charAt(e) == 'e' || s.charAt(e) == 'E')) {
                    int d = e + 1;
                    if (d < n && (s.charAt(d) == '+' || s.charAt(d) == '-')) {
                        d++;
                    }
                    if (d < n && isDigit(s.charAt(d))) {
                        throw new Refused(false); // an exponent makes the whole input invalid
                    }
                }
                double parsed = Double.parseDouble("0" + s.substring(p, q));
                fraction = new BigDecimal(parsed).multiply(new BigDecimal(TWO_64)).toBigInteger()
                        .min(TWO_64.subtract(BigInteger.ONE));
                p = q;
            }
        }
        long multiplier = p < n ? multiplier(s.charAt(p)) : -1;
        if (multiplier > 0) {
            if (hex) {
                console.warning("Using a multiplier suffix on hex numbers is deprecated: " + s);
            }
            p++;
        } else {
            multiplier = 1;
        }
        if (multiplier == 1) {
            if (fraction.signum() != 0) {
                throw new Refused(false);
            }
        } else {
            BigInteger scaledFraction = fraction.multiply(BigInteger.valueOf(multiplier));
            value = value.multiply(BigInteger.valueOf(multiplier)).add(scaledFraction.shiftRight(64))
                    .add(scaledFraction.testBit(63) ? BigInteger.ONE : BigInteger.ZERO);   // 0.5 rounds up
            if (value.compareTo(TWO_64) >= 0) {
                throw new Refused(p == n);
            }
        }
        if (p != n) {
            throw new Refused(false);
        }
        return value;
    }

    private static long multiplier(char suffix) {
        return switch (Character.toUpperCase(suffix)) {
            case 'B' -> 1;
            case 'K' -> 1L << 10;
            case 'M' -> 1L << 20;
            case 'G' -> 1L << 30;
            case 'T' -> 1L << 40;
            case 'P' -> 1L << 50;
            case 'E' -> 1L << 60;
            default -> -1;
        };
    }

    /** A pattern byte for -P; -1 once "X is not a valid pattern byte" is printed. */
    static int pattern(String arg, Console console) {
        int n = arg.length();
        int p = skipSpace(arg, 0);
        boolean negative = false;
        if (p < n && (arg.charAt(p) == '+' || arg.charAt(p) == '-')) {
            negative = arg.charAt(p) == '-';
            p++;
        }
        int radix = 10;
        if (p + 1 < n && arg.charAt(p) == '0' && (arg.charAt(p + 1) == 'x' || arg.charAt(p + 1) == 'X')
                && p + 2 < n && hexDigit(arg.charAt(p + 2))) {
            radix = 16;
            p += 2;
        } else if (p < n && arg.charAt(p) == '0') {
            radix = 8;
        }
        int start = p;
        BigInteger value = BigInteger.ZERO;
        while (p < n && arg.charAt(p) < 128 && Character.digit(arg.charAt(p), radix) >= 0) {
            value = value.multiply(BigInteger.valueOf(radix)).add(BigInteger.valueOf(Character.digit(arg.charAt(p), radix)));
            p++;
        }
        // Without digits nothing is consumed and the first character is what is left over;
        // an empty argument is 0, as strtol makes it.
        boolean valid = n == 0 || (p > start && p == n);
        if (negative) {
            value = value.negate();
        }
        if (!valid || value.signum() < 0 || value.compareTo(BigInteger.valueOf(255)) > 0) {
            console.out(arg + " is not a valid pattern byte\n");
            return -1;
        }
        return value.intValue();
    }

    private static int skipSpace(String s, int p) {
        while (p < s.length() && isSpace(s.charAt(p))) {
            p++;
        }
        return p;
    }

    /** C's isspace in the C locale. */
    static boolean isSpace(char c) {
        return c == ' ' || c == '\t' || c == '\n' || c == '\u000b' || c == '\f' || c == '\r';
    }

    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }

    private static boolean hexDigit(char c) {
        return isDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    }

    /** The "off len" operands of an I/O command. */
    record Range(long offset, long count) {
    }

    /** Reads the two operands; null once it has told the user what is wrong with them. */
    static Range range(List<String> operands, Console console) {
        long offset = size(operands.get(0), console);
        if (offset < 0) {
            return null;
        }
        long count = size(operands.get(1), console);
        if (count < 0) {
            return null;
        }
        if (count > MAX_REQUEST_BYTES) {
            console.out("length cannot exceed " + MAX_REQUEST_BYTES + ", given " + operands.get(1) + "\n");
            return null;
        }
        return new Range(offset, count);
    }
}
