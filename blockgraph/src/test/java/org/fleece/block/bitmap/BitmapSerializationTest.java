package org.fleece.block.bitmap;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Collections;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Serialized bitmaps against a plain bit array packed by hand (granule i in
 * bit i % 8 of byte i / 8), and back: random runs, single granules, runs over
 * chunk borders and a last granule that is only partly inside the node, with
 * chunks smaller than a Roaring container, larger ones, and bitmaps larger
 * than the loader's window, loaded in random chunk order.
 */
class BitmapSerializationTest {
    private static final int CHUNK = 512;

    @ParameterizedTest
    @ValueSource(ints = {512, 65536, 2 << 20})
    void roundTripsRandomBitmapsThroughChunks(int chunk) throws Exception {
        Random random = new Random(62);
        for (int round = 0; round < 20; round++) {
            long granularity = 512L << random.nextInt(6);
            long granules = 1 + random.nextInt(random.nextInt(4) == 0 ? 12_000_000 : chunk * 8 * 5);
            long length = granules * granularity - random.nextInt((int) granularity);
            DirtyBitmap bitmap = new DirtyBitmap("b", granularity, length);
            BitSet model = new BitSet();
            for (int op = 0; op < 1 + random.nextInt(60); op++) {
                int first = random.nextInt((int) granules);
                int count = random.nextInt(4) == 0 ? 1 + random.nextInt(chunk * 8 * 2) : 1 + random.nextInt(70);
                int last = (int) Math.min(granules - 1, first + count - 1L);
                bitmap.setDirty(first * granularity, (last - first + 1) * granularity);
                model.set(first, last + 1);
            }
            byte[] expected = pack(model, BitmapSerialization.size(bitmap));
            assertThat(BitmapSerialization.size(bitmap)).isEqualTo((granules + 63) / 64 * 8);

            byte[] serialized = new byte[(int) ((expected.length + chunk - 1) / chunk * chunk)];
            List<Long> written = new ArrayList<>();
            BitmapSerialization.forEachDirtyChunk(bitmap, chunk, (index, bits) -> {
                written.add(index);
                System.arraycopy(bits, 0, serialized, (int) (index * chunk), chunk);
            });
            assertThat(java.util.Arrays.mismatch(java.util.Arrays.copyOf(serialized, expected.length), expected))
                    .isEqualTo(-1);
            for (long index = 0; index * chunk < expected.length; index++) {
                int next = model.nextSetBit((int) (index * chunk * 8));
                boolean dirty = next >= 0 && next < (index + 1) * chunk * 8;
                assertThat(written.contains(index)).as("chunk %d written", index).isEqualTo(dirty);
            }

            DirtyBitmap loaded = new DirtyBitmap("l", granularity, length);
            BitmapSerialization.Loader loader = new BitmapSerialization.Loader(loaded, chunk);
            Collections.shuffle(written, random);
            for (long index : written) {
                loader.chunk(index, ByteBuffer.wrap(serialized, (int) (index * chunk), chunk).slice());
            }
            loader.finish();
            assertThat(loaded.count()).isEqualTo(bitmap.count());
            assertThat(BitmapHash.sha256(loaded)).isEqualTo(BitmapHash.sha256(bitmap));
        }
    }

    @Test
    void allOnesChunksAndBitsPastTheEnd() {
        long granularity = 65536;
        long granules = CHUNK * 8 + 10;
        DirtyBitmap bitmap = new DirtyBitmap("b", granularity, granules * granularity - 100);
        BitmapSerialization.Loader loader = new BitmapSerialization.Loader(bitmap, CHUNK);
        byte[] tail = new byte[CHUNK];
        java.util.Arrays.fill(tail, (byte) 0xff);
        loader.ones(0);
        loader.chunk(1, ByteBuffer.wrap(tail));
        loader.finish();
        assertThat(bitmap.count()).isEqualTo(granules * granularity);
        assertThat(bitmap.nextClean(0)).isEqualTo(bitmap.length());
    }

    @Test
    void aCleanBitmapWritesNothing() throws Exception {
        DirtyBitmap bitmap = new DirtyBitmap("b", 65536, 1L << 40);
        List<Long> written = new ArrayList<>();
        BitmapSerialization.forEachDirtyChunk(bitmap, 65536, (index, bits) -> written.add(index));
        assertThat(written).isEmpty();
        assertThat(BitmapSerialization.size(bitmap)).isEqualTo((1L << 24) / 8);
    }

    /** BitSet's own byte form is the layout: bit j of byte i is bit 8i + j. */
    private static byte[] pack(BitSet model, long bytes) {
        return java.util.Arrays.copyOf(model.toByteArray(), (int) bytes);
    }
}
