package org.fleece.server.hmp;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The size and time formats of qemu-io 7.2.22's result lines, as seen in its output. */
class ReportTest {
    @Test
    void sizes() {
        assertThat(Report.size(4096)).isEqualTo("4 KiB");
        assertThat(Report.size(1234)).isEqualTo("1.205 KiB");
        // 1088 bytes are 1.0625 KiB: printf rounds the tie to even.
        assertThat(Report.size(1088)).isEqualTo("1.062 KiB");
        assertThat(Report.size(1025)).isEqualTo("1.001 KiB");
        assertThat(Report.size(1536)).isEqualTo("1.500 KiB");
        assertThat(Report.size(16)).isEqualTo("16 bytes");
        assertThat(Report.size(0)).isEqualTo("0 bytes");
        assertThat(Report.size(584.682830)).isEqualTo("584.682830 bytes");
        assertThat(Report.size(1 << 20)).isEqualTo("1 MiB");
        assertThat(Report.size(2.517 * (1 << 30))).isEqualTo("2.517 GiB");
        assertThat(Report.size(Double.POSITIVE_INFINITY)).isEqualTo("inf EiB");
    }

    @Test
    void times() {
        assertThat(Report.time(0, false)).isEqualTo("00.00 sec");
        assertThat(Report.time(10_000_000, false)).isEqualTo("00.01 sec");
        assertThat(Report.time(0, true)).isEqualTo("0:00:00.00");
        // aio_write -z on a host up for 1 h 41 min.
        assertThat(Report.time(6_074_020_000_000L, false)).isEqualTo("1:41:14.02");
        assertThat(Report.time(61_500_000_000L, false)).isEqualTo("0:01:01.50");
    }
}
