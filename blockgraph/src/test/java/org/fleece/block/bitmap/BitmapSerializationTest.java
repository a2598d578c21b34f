package org.fleece.block.bitmap;

import org.junit.jupiter.api.Test;

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
 * chunk borders and a last granule that is only partly inside the node.
 */
class BitmapSerializationTest {
    private static final int CHUNK = 512;

    @Test
    void roundTripsRandomBitmapsThroughChunks() throws Exception {
        Random random = new Random(62);
        for (int round = 0; round < 40; round++) {
            long granularity = 512L << random.nextInt(6);
            long granules = 1 + random.nextInt(CHUNK * 8 * 5);
            long length = granules * granularity - random.nextInt((int) granularity);
            DirtyBitmap bitmap = new DirtyBitmap("b", granularity, length);
            BitSet model = new BitSet();
            for (int op = 0; op < 1 + random.nextInt(60); op++) {
                int first = random.nextInt((int) granules);
                int count = random.nextInt(4) == 0 ? 1 + random.nextInt(CHUNK * 8 * 2) : 1 + random.nextInt(70);
                int last = (int) Math.min(granules - 1, first + count - 1L);
                bitmap.setDirty(first * granularity, (last - first + 1) * granularity);
                model.set(first, last + 1);
            }
            byte[] expected = pack(model, BitmapSerialization.size(bitmap));
            assertThat(BitmapSerialization.size(bitmap)).isEqualTo((granules + 63) / 64 * 8);

            byte[] serialized = new byte[(int) ((expected.length + CHUNK - 1) / CHUNK * CHUNK)];
            List<Long> written = new ArrayList<>();
            BitmapSerialization.forEachDirtyChunk(bitmap, CHUNK, (index, bits) -> {
                written.add(index);
                System.arraycopy(bits, 0, serialized, (int) (index * CHUNK), CHUNK);
            });
            assertThat(java.util.Arrays.copyOf(serialized, expected.length)).isEqualTo(expected);
            for (long index = 0; index * CHUNK < expected.length; index++) {
                boolean dirty = model.nextSetBit((int) (index * CHUNK * 8)) >= 0
                        && model.nextSetBit((int) (index * CHUNK * 8)) < (index + 1) * CHUNK * 8;
                assertThat(written.contains(index)).as("chunk %d written", index).isEqualTo(dirty);
            }

            DirtyBitmap loaded = new DirtyBitmap("l", granularity, length);
            BitmapSerialization.Loader loader = new BitmapSerialization.Loader(loaded, CHUNK);
            Collections.shuffle(written, random);
            for (long index : written) {
                loader.chunk(index, ByteBuffer.wrap(serialized, (int) (index * CHUNK), CHUNK).slice());
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

    private static byte[] pack(BitSet model, long bytes) {
        byte[] packed = new byte[(int) bytes];
        for (int bit = model.nextSetBit(0); bit >= 0; bit = model.nextSetBit(bit + 1)) {
            packed[bit / 8] |= (byte) (1 << (bit % 8));
        }
        return packed;
    }
}
