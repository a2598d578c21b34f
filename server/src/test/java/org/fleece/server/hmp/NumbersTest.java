package org.fleece.server.hmp;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Number arguments as qemu-io 7.2.22 reads them. Each row is the outcome of
 * {@code qemu-io -f raw -c 'read 0 ARG' img} (or 'read ARG 1' for offsets
 * beyond a request's size, and 'read -P ARG 0 1' for patterns): the length it
 * reported reading, or its message.
 */
class NumbersTest {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final Console console = new Console(new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));

    private static final String NON_NUMERIC = "non-numeric argument, or extraneous/unrecognized suffix";

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "0x200 | 512",
        "1K | 1024",
        "1b | 1",
        "1B | 1",
        "1T | 1099511627776",
        "1.5k | 1536",
        "1.k | 1024",
        "+5 | 5",
        "1.0 | 1",
        "1. | 1",
        "0.1k | 102",
        "0.0001k | 0",
        "0.0005k | 1",
        "1.00048828125k | 1025",
        "1.5e | 1729382256910270464",
        "0X10 | 16",
        "0x1E | 30",
        "0x10E | 270",
        "00012 | 12",
        "9223372036854775807 | 9223372036854775807",
        "1.5 | non-numeric",
        "1kb | non-numeric",
        ".5k | non-numeric",
        "1.5b | non-numeric",
        "1e3 | non-numeric",
        "1.e5 | non-numeric",
        "1.5.k | non-numeric",
        "0x | non-numeric",
        "0x1.0 | non-numeric",
        "abc | non-numeric",
        "- | non-numeric",
        "99999999999999999999k | non-numeric",
        "99999999999999999999 | too large",
        "18446744073709551615 | too large",
        "18446744073709551616 | too large",
        "8E | too large",
        "16E | too large",
        "15.99E | too large",
    })
    void sizes(String arg, String expected) {
        long value = Numbers.size(arg, console);
        String printed = out.toString(StandardCharsets.UTF_8);
        switch (expected) {
            case "non-numeric" -> assertThat(printed).isEqualTo("Parsing error: " + NON_NUMERIC + " -- " + arg + "\n");
            case "too large" -> assertThat(printed).isEqualTo("Parsing error: argument too large -- " + arg + "\n");
            default -> {
                assertThat(printed).isEmpty();
                assertThat(value).isEqualTo(Long.parseLong(expected));
            }
        }
        if (!printed.isEmpty()) {
            assertThat(value).isEqualTo(-1);
        }
        assertThat(console.reply()).isEmpty();
    }

    /** qemu-io warns on stderr ("qemu-io: warning: ..."); under HMP the warning goes to the monitor. */
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {"0x10k | 16384", "0x10kz | -1"})
    void aSuffixOnHexIsDeprecated(String arg, long expected) {
        assertThat(Numbers.size(arg, console)).isEqualTo(expected);
        assertThat(console.reply())
                .isEqualTo("warning: Using a multiplier suffix on hex numbers is deprecated: " + arg + "\r\n");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "0x5a | 90", "077 | 63", "+5 | 5", "0 | 0", "255 | 255",
        "256 | -1", "-1 | -1", "0x1g | -1", "ff | -1", "0x300 | -1", "08 | -1", "0x | -1",
    })
    void patterns(String arg, int expected) {
        assertThat(Numbers.pattern(arg, console)).isEqualTo(expected);
        assertThat(out.toString(StandardCharsets.UTF_8))
                .isEqualTo(expected < 0 ? arg + " is not a valid pattern byte\n" : "");
    }
}
