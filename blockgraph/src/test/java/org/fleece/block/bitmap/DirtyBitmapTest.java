package org.fleece.block.bitmap;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.MessageDigest;
import java.util.BitSet;
import java.util.HexFormat;
import java.util.Random;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;

/** The bitmap against a plain bit array on random operations, and its hash against QEMU's layout. */
class DirtyBitmapTest {
    @Test
    void behavesLikeABitArrayOnRandomOperations() throws Exception {
        Random random = new Random(7);
        for (int round = 0; round < 20; round++) {
            long granularity = 512L << random.nextInt(8);
            long length = granularity * (1 + random.nextInt(5000)) - random.nextInt((int) granularity);
            DirtyBitmap bitmap = new DirtyBitmap("b", granularity, length);
            BitSet model = new BitSet();
            int granules = (int) ((length + granularity - 1) / granularity);
            for (int op = 0; op < 300; op++) {
                long offset = (long) (random.nextDouble() * length);
                long bytes = 1 + (long) (random.nextDouble() * Math.min(length - offset, granularity * 40));
                int first = (int) (offset / granularity);
                int last = (int) ((offset + bytes - 1) / granularity);
                switch (random.nextInt(10)) {
                    case 0 -> {
                        bitmap.resetDirty(offset, bytes);
                        model.clear(first, last + 1);
                    }
                    case 1 -> {
                        DirtyBitmap other = new DirtyBitmap("o", granularity << random.nextInt(2), length);
                        other.setDirty(offset, bytes);
                        bitmap.mergeFrom(other);
                        long otherFirst = offset / other.granularity() * other.granularity();
                        long otherEnd = Math.min(length, ((offset + bytes - 1) / other.granularity() + 1)
                                * other.granularity());
                        model.set((int) (otherFirst / granularity), (int) ((otherEnd - 1) / granularity) + 1);
                    }
                    default -> {
                        bitmap.markDirty(offset, bytes);
                        model.set(first, last + 1);
                    }
                }
            }
            assertThat(bitmap.count()).isEqualTo(model.cardinality() * granularity);
            for (int probe = 0; probe < 200; probe++) {
                long offset = (long) (random.nextDouble() * length);
                int granule = (int) (offset / granularity);
                int nextSet = model.nextSetBit(granule);
                long expectedDirty = nextSet < 0 || nextSet >= granules ? -1 : Math.max(offset, nextSet * granularity);
                assertThat(bitmap.nextDirty(offset)).as("next dirty from %d", offset).isEqualTo(expectedDirty);
                long expectedClean = Math.min(length, Math.max(offset, model.nextClearBit(granule) * granularity));
                assertThat(bitmap.nextClean(offset)).as("next clean from %d", offset).isEqualTo(expectedClean);
            }
            assertThat(BitmapHash.sha256(bitmap)).isEqualTo(denseSha256(model, granules));
        }
    }

    @Test
    void granulesBeyondTwoToThe32WorkAcrossChunks() {
        long granularity = 512;
        long length = granularity * ((1L << 33) + 100);
        DirtyBitmap bitmap = new DirtyBitmap("b", granularity, length);
        long around = granularity * ((1L << 32) - 2);
        bitmap.setDirty(around, granularity * 5);
        assertThat(bitmap.count()).isEqualTo(granularity * 5);
        assertThat(bitmap.nextDirty(0)).isEqualTo(around);
        assertThat(bitmap.nextClean(around)).isEqualTo(around + granularity * 5);
        TreeMap<Long, Long> ranges = new TreeMap<>();
        bitmap.forEachDirtyRange(ranges::put);
        assertThat(ranges).containsExactly(java.util.Map.entry(around, granularity * 5));
        bitmap.resetDirty(granularity << 32, granularity);
        assertThat(bitmap.count()).isEqualTo(granularity * 4);
    }

    @Test
    void disabledBitmapsRecordNothingAndClearCanBeUndone() {
        DirtyBitmap bitmap = new DirtyBitmap("b", 65536, 1 << 30);
        bitmap.markDirty(0, 1);
        bitmap.setEnabled(false);
        bitmap.markDirty(1 << 20, 1);
        assertThat(bitmap.count()).isEqualTo(65536);
        Granules saved = bitmap.clear();
        assertThat(bitmap.count()).isZero();
        bitmap.restore(saved);
        assertThat(bitmap.count()).isEqualTo(65536);
    }

    @Test
    void hashesBitmapsLargerThanOneHashingWindow() throws Exception {
        int granules = 80_000_123;
        DirtyBitmap bitmap = new DirtyBitmap("b", 512, 512L * granules);
        BitSet model = new BitSet();
        Random random = new Random(3);
        for (int i = 0; i < 2000; i++) {
            int first = random.nextInt(granules - 5000);
            int count = 1 + random.nextInt(i % 100 == 0 ? 4_000_000 : 300);
            count = Math.min(count, granules - first);
            bitmap.setDirty(512L * first, 512L * count);
            model.set(first, first + count);
        }
        assertThat(BitmapHash.sha256(bitmap)).isEqualTo(denseSha256(model, granules));
    }

    @Test
    void libcryptoAndTheJdkAgree() throws Exception {
        assertThat(Sha256.Native.AVAILABLE).as("libcrypto is on every machine that runs QEMU").isTrue();
        byte[] data = new byte[3 << 20];
        new Random(5).nextBytes(data);
        try (var arena = java.lang.foreign.Arena.ofConfined()) {
            var segment = arena.allocateFrom(java.lang.foreign.ValueLayout.JAVA_BYTE, data);
            Sha256 jdk = new Sha256.Jdk();
            Sha256 chosen = Sha256.create();
            jdk.update(segment, data.length);
            chosen.update(segment, 1000);
            chosen.update(segment.asSlice(1000), data.length - 1000);
            String expected = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
            assertThat(HexFormat.of().formatHex(jdk.digest())).isEqualTo(expected);
            assertThat(HexFormat.of().formatHex(chosen.digest())).isEqualTo(expected);
        }
    }

    @Test
    void hashesAsQemuDoesForAnEmptyBitmap() {
        // qemu-storage-daemon 7.2 on a 64 MiB raw node, 64 KiB granularity (sixteen zero words).
        assertThat(BitmapHash.sha256(new DirtyBitmap("b", 65536, 64 << 20)))
                .isEqualTo("38723a2e5e8a17aa7950dc008209944e898f69a7bd10a23c839d341e935fd5ca");
    }

    private static String denseSha256(BitSet model, int granules) throws Exception {
        int words = Math.max(1, (granules + 63) / 64);
        ByteBuffer dense = ByteBuffer.allocate(words * 8).order(ByteOrder.LITTLE_ENDIAN);
        long[] longs = model.toLongArray();
        for (int i = 0; i < words; i++) {
            dense.putLong(i < longs.length ? longs[i] : 0);
        }
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(dense.array()));
    }
}
