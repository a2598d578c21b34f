package org.fleece.block.driver.qcow2;

import org.fleece.qapi.QmpError;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The bitmap directory and table formats: round trips against a model, byte layout, and QEMU's refusals. */
class BitmapDirectoryTest {
    private static final int CLUSTER = 65536;
    private static final long NODE = 1L << 30;

    private static BitmapDirectory.Entry entry(String name, int flags) {
        return new BitmapDirectory.Entry(3L * CLUSTER, 1, flags, 16, name);
    }

    @Test
    void roundTripsRandomDirectories() {
        Random random = new Random(63);
        for (int round = 0; round < 50; round++) {
            List<BitmapDirectory.Entry> model = new ArrayList<>();
            for (int i = 0; i < 1 + random.nextInt(20); i++) {
                StringBuilder name = new StringBuilder();
                for (int c = 0; c < 1 + random.nextInt(40); c++) {
                    name.append(random.nextInt(8) == 0 ? 'é' : (char) ('a' + random.nextInt(26)));
                }
                int bits = 9 + random.nextInt(23);
                long tableSize = 1 + random.nextInt(64);
                model.add(new BitmapDirectory.Entry((1 + random.nextInt(1000)) * (long) CLUSTER, (int) tableSize,
                        random.nextInt(4), bits, name.toString() + i));
            }
            ByteBuffer encoded = BitmapDirectory.encode(model);
            assertThat((long) encoded.remaining()).isEqualTo(BitmapDirectory.size(model));
            assertThat(encoded.remaining() % 8).isZero();
            assertThat(BitmapDirectory.parse(encoded, model.size(), CLUSTER, 0)).isEqualTo(model);
        }
    }

    @Test
    void entryLayoutIsTheSpecs() {
        ByteBuffer raw = BitmapDirectory.encode(List.of(new BitmapDirectory.Entry(0x50000, 2, 3, 16, "ab")));
        assertThat(raw.remaining()).isEqualTo(32);
        assertThat(raw.getLong(0)).isEqualTo(0x50000);
        assertThat(raw.getInt(8)).isEqualTo(2);
        assertThat(raw.getInt(12)).isEqualTo(3);
        assertThat(raw.get(16)).isEqualTo((byte) 1);
        assertThat(raw.get(17)).isEqualTo((byte) 16);
        assertThat(raw.getShort(18)).isEqualTo((short) 2);
        assertThat(raw.getInt(20)).isZero();
        assertThat(raw.get(24)).isEqualTo((byte) 'a');
        assertThat(raw.get(26)).isZero();
    }

    @Test
    void refusesWhatQemuRefuses() {
        ByteBuffer two = BitmapDirectory.encode(List.of(entry("a", 2), entry("b", 2)));
        assertError(two, 1, "More bitmaps found than specified in header extension");
        assertError(two, 3, "Less bitmaps found than specified in header extension");
        assertError(two.duplicate().limit(two.limit() - 8), 2, "Broken bitmap directory");
        assertError(two.duplicate().limit(two.limit() - 20), 2, "Broken bitmap directory");

        ByteBuffer extra = BitmapDirectory.encode(List.of(entry("a", 2)));
        extra.putInt(20, 8);
        assertError(extra, 1, "Broken bitmap directory");
        ByteBuffer padded = ByteBuffer.allocate(48);
        padded.put(BitmapDirectory.encode(List.of(entry("a", 2)))).putInt(20, 4).clear();
        padded.limit(40);
        assertError(padded, 1, "Bitmap extra data is not supported");

        assertConstraints(new BitmapDirectory.Entry(3L * CLUSTER, 1, 4 | 2, 16, "x"));
        assertConstraints(new BitmapDirectory.Entry(0, 1, 2, 16, "x"));
        assertConstraints(new BitmapDirectory.Entry(CLUSTER + 512, 1, 2, 16, "x"));
        assertConstraints(new BitmapDirectory.Entry(3L * CLUSTER, 0, 2, 16, "x"));
        assertConstraints(new BitmapDirectory.Entry(3L * CLUSTER, 1, 2, 8, "x"));
        assertConstraints(new BitmapDirectory.Entry(3L * CLUSTER, 1, 2, 32, "x"));
        assertConstraints(new BitmapDirectory.Entry(3L * CLUSTER, 1 << 14, 2, 16, "x"));
        ByteBuffer type = BitmapDirectory.encode(List.of(entry("x", 2)));
        type.put(16, (byte) 2);
        assertError(type, 1, "Bitmap 'x' doesn't satisfy the constraints");
    }

    @Test
    void aTableMustCoverTheNodeUnlessTheBitmapWasInUse() {
        // One cluster of bits at 64 KiB granules covers 32 GiB.
        long covered = (long) CLUSTER * 8 * 65536;
        BitmapDirectory.Entry stored = entry("x", 2);
        assertThat(BitmapDirectory.valid(stored, CLUSTER, covered)).isTrue();
        assertThat(BitmapDirectory.valid(stored, CLUSTER, covered + 512)).isFalse();
        assertThat(BitmapDirectory.valid(entry("x", 3), CLUSTER, covered + 512)).isTrue();
        assertThat(BitmapDirectory.valid(new BitmapDirectory.Entry(CLUSTER, 8192, 0, 31, "x"), CLUSTER,
                Long.MAX_VALUE)).isTrue();
    }

    @Test
    void tableEntriesAsQemuChecksThem() {
        assertThat(BitmapTable.validEntry(0, CLUSTER)).isTrue();
        assertThat(BitmapTable.validEntry(BitmapTable.ALL_ONES, CLUSTER)).isTrue();
        assertThat(BitmapTable.validEntry(5L * CLUSTER, CLUSTER)).isTrue();
        assertThat(BitmapTable.validEntry(5L * CLUSTER | BitmapTable.ALL_ONES, CLUSTER)).isFalse();
        assertThat(BitmapTable.validEntry(5L * CLUSTER + 512, CLUSTER)).isFalse();
        assertThat(BitmapTable.validEntry(2, CLUSTER)).isFalse();
        assertThat(BitmapTable.validEntry(1L << 60, CLUSTER)).isFalse();
        long[] table = {0, 7L * CLUSTER, BitmapTable.ALL_ONES};
        assertThat(BitmapTable.decode(BitmapTable.encode(table), 3)).containsExactly(table);
        assertThat(BitmapTable.entriesFor(CLUSTER + 8, CLUSTER)).isEqualTo(2);
    }

    private static void assertConstraints(BitmapDirectory.Entry bad) {
        assertError(BitmapDirectory.encode(List.of(bad)), 1, "Bitmap 'x' doesn't satisfy the constraints");
    }

    private static void assertError(ByteBuffer raw, int count, String message) {
        assertThatThrownBy(() -> BitmapDirectory.parse(raw, count, CLUSTER, NODE))
                .isInstanceOf(QmpError.class).hasMessage(message);
    }
}
