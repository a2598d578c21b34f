package org.fleece.server.hmp;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.ByteBuffer;

/**
 * qemu-io's result lines, as the real tool prints them:
 * <pre>
 * wrote 4096/4096 bytes at offset 0
 * 4 KiB, 1 ops; 00.00 sec (5.956 MiB/sec and 1524.6273 ops/sec)
 * </pre>
 * or with -C one machine-readable line "4096,1,0:00:00.00,5956.123,1524.627".
 * Numbers are formatted as C's printf does (exact binary value, ties to even).
 */
final class Report {
    private static final String[] UNITS = {" EiB", " PiB", " TiB", " GiB", " MiB", " KiB"};

    private Report() {
    }

    static void print(Console console, String op, long elapsedNanos, long offset, long count, long total,
                      int ops, boolean machine) {
        double seconds = elapsedNanos / 1_000_000_000L + (elapsedNanos % 1_000_000_000L) / 1e9;
        String time = time(elapsedNanos, machine);
        if (machine) {
            console.out(total + "," + ops + "," + time + "," + fixed(total / seconds, 3) + ","
                    + fixed(ops / seconds, 3) + "\n");
            return;
        }
        console.out(op + " " + total + "/" + count + " bytes at offset " + offset + "\n"
                + size(total) + ", " + ops + " ops; " + time + " (" + size(total / seconds) + "/sec and "
                + fixed(ops / seconds, 4) + " ops/sec)\n");
    }

    /**
     * A byte count in the largest binary unit it reaches, three decimals
     * ("1.205 KiB"), plain bytes with six ("584.682830 bytes"); a fraction that
     * starts ".000" is dropped ("4 KiB", "16 bytes").
     */
    static String size(double value) {
        String text = null;
        String suffix = " bytes";
        for (int i = 0; i < UNITS.length; i++) {
            double unit = Math.scalb(1.0, 60 - 10 * i);
            if (value >= unit) {
                text = fixed(value / unit, 3);
                suffix = UNITS[i];
                break;
            }
        }
        if (text == null) {
            text = fixed(value, 6);
        }
        int trim = text.indexOf(".000");
        return (trim >= 0 ? text.substring(0, trim) : text) + suffix;
    }

    /** "00.12 sec" below a second, else "H:MM:SS.ss"; the machine format always uses the latter. */
    static String time(long nanos, boolean fixedFormat) {
        long secs = nanos / 1_000_000_000L;
        double fraction = (nanos % 1_000_000_000L) / 1e9;
        if (!fixedFormat && secs == 0) {
            return zeroPad(fixed(fraction, 2)) + " sec";
        }
        return (secs / 3600) + ":" + String.format("%02d", (secs / 60) % 60) + ":"
                + zeroPad(fixed(secs % 60 + fraction, 2));
    }

    private static String zeroPad(String text) {
        return text.length() < 5 ? "0".repeat(5 - text.length()) + text : text;
    }

    /** printf("%.Nf"): the double's exact value rounded half to even; inf and nan as glibc writes them. */
    static String fixed(double value, int decimals) {
        if (Double.isNaN(value)) {
            return "-nan";
        }
        if (Double.isInfinite(value)) {
            return value > 0 ? "inf" : "-inf";
        }
        return new BigDecimal(value).setScale(decimals, RoundingMode.HALF_EVEN).toPlainString();
    }

    /**
     * read -v: 16 bytes a line, "%08x:  " with the byte's offset on the node,
     * each byte as two hex digits and a space, a space, then the bytes again,
     * letters and digits as themselves and anything else as '.'.
     */
    static void dump(Console console, ByteBuffer buffer, long offset, int length) {
        StringBuilder text = new StringBuilder();
        for (int line = 0; line < length; line += 16) {
            int end = Math.min(length, line + 16);
            text.append(String.format("%08x:  ", offset + line));
            for (int i = line; i < end; i++) {
                text.append(String.format("%02x ", buffer.get(i) & 0xff));
            }
            text.append(' ');
            for (int i = line; i < end; i++) {
                char c = (char) (buffer.get(i) & 0xff);
                boolean alnum = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
                text.append(alnum ? c : '.');
            }
            text.append('\n');
        }
        console.out(text.toString());
    }
}
