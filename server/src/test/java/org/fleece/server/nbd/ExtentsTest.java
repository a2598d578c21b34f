package org.fleece.server.nbd;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;

import static org.assertj.core.api.Assertions.assertThat;

class ExtentsTest {
    @Test
    void mergesNeighboursWithTheSameFlags() {
        Extents e = new Extents(1, Extents.MAX_EXTENTS);
        e.add(4096, 0);
        e.add(4096, 0);
        e.add(512, 3);
        assertThat(e.count()).isEqualTo(2);
        assertThat(e.covered()).isEqualTo(8704);
        ByteBuffer wire = e.encode();
        assertThat(wire.getInt()).isEqualTo(1);
        assertThat(new int[] {wire.getInt(), wire.getInt(), wire.getInt(), wire.getInt()})
                .containsExactly(8192, 0, 512, 3);
        assertThat(wire.hasRemaining()).isFalse();
    }

    @Test
    void reqOneKeepsOnlyTheFirstRun() {
        Extents e = new Extents(0, 1);
        assertThat(e.add(4096, 0)).isTrue();
        assertThat(e.add(4096, 0)).isTrue();
        assertThat(e.add(4096, 3)).isFalse();
        assertThat(e.count()).isEqualTo(1);
        assertThat(e.covered()).isEqualTo(8192);
    }

    @Test
    void runsLongerThan32BitsAreSplit() {
        Extents e = new Extents(0, Extents.MAX_EXTENTS);
        e.add(0x1_0000_0000L + 10, 3);
        ByteBuffer wire = e.encode();
        wire.getInt();
        assertThat(Integer.toUnsignedLong(wire.getInt())).isEqualTo(0xffffffffL);
        assertThat(wire.getInt()).isEqualTo(3);
        assertThat(wire.getInt()).isEqualTo(11);
        assertThat(wire.getInt()).isEqualTo(3);
    }
}
