package org.fleece.block.bitmap;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * A dirty bitmap as images store it (qcow2's bitmap data): one bit per
 * granule, granule i in bit i % 8 (least significant first) of byte i / 8,
 * which is also how QEMU serializes its bitmaps. The bytes are cut into
 * chunks of a fixed size (a cluster each); only chunks with a dirty granule
 * need to exist, the rest read as clean.
 */
public final class BitmapSerialization {
    private BitmapSerialization() {
    }

    /** Bytes the serialized bitmap takes, whole 64-bit words as QEMU counts them. */
    public static long size(DirtyBitmap bitmap) {
        return (bitmap.granuleCount() + 63) / 64 * 8;
    }

    /** Receives one chunk: its index and its bytes (a buffer reused for the next chunk). */
    @FunctionalInterface
    public interface ChunkSink {
        void chunk(long index, byte[] bits) throws IOException;
    }

    /**
     * Serializes the bitmap as it is now, calling the sink in order for every
     * chunk that has a dirty granule; clean chunks are skipped.
     */
    public static void forEachDirtyChunk(DirtyBitmap bitmap, int chunkBytes, ChunkSink sink) throws IOException {
        new Writer(bitmap.granuleCount(), chunkBytes, sink).write(bitmap.backup());
    }

    private static final class Writer {
        private final long granules;
        private final long perChunk;
        private final byte[] bits;
        private final ChunkSink sink;
        private long current = -1;
        private IOException failure;

        Writer(long granules, int chunkBytes, ChunkSink sink) {
            this.granules = granules;
            this.perChunk = chunkBytes * 8L;
            this.bits = new byte[chunkBytes];
            this.sink = sink;
        }

        void write(Granules set) throws IOException {
            set.forEachRun(this::run);
            if (failure == null) {
                emit();
            }
            if (failure != null) {
                throw failure;
            }
        }

        private void run(long first, long last) {
            last = Math.min(last, granules - 1);
            while (first <= last && failure == null) {
                long chunk = first / perChunk;
                if (chunk != current) {
                    emit();
                    current = chunk;
                }
                long chunkLast = Math.min(last, chunk * perChunk + perChunk - 1);
                setBits((int) (first - chunk * perChunk), (int) (chunkLast - chunk * perChunk));
                first = chunkLast + 1;
            }
        }

        /** Sets bits from..to (inclusive) of the chunk, whole bytes at a time in the middle. */
        private void setBits(int from, int to) {
            int firstByte = from / 8;
            int lastByte = to / 8;
            if (firstByte == lastByte) {
                bits[firstByte] |= (byte) ((0xff << (from % 8)) & (0xff >>> (7 - to % 8)));
                return;
            }
            bits[firstByte] |= (byte) (0xff << (from % 8));
            Arrays.fill(bits, firstByte + 1, lastByte, (byte) 0xff);
            bits[lastByte] |= (byte) (0xff >>> (7 - to % 8));
        }

        private void emit() {
            if (current < 0 || failure != null) {
                return;
            }
            try {
                sink.chunk(current, bits);
            } catch (IOException e) {
                failure = e;
            }
            Arrays.fill(bits, (byte) 0);
            current = -1;
        }
    }

    /**
     * Rebuilds a bitmap from its chunks, in any order; the bitmap gets the
     * bits on {@link #finish()}. Bits past the bitmap's end are ignored.
     */
    public static final class Loader {
        private final DirtyBitmap bitmap;
        private final long perChunk;
        private final Granules set = new Granules();
        private long runStart = -1;
        private long runEnd;

        public Loader(DirtyBitmap bitmap, int chunkBytes) {
            this.bitmap = bitmap;
            this.perChunk = chunkBytes * 8L;
        }

        /** A chunk stored as data. */
        public void chunk(long index, ByteBuffer stored) {
            ByteBuffer bytes = stored.duplicate().order(ByteOrder.LITTLE_ENDIAN);
            long base = index * perChunk;
            long count = Math.min(perChunk, bitmap.granuleCount() - base);
            for (long word = 0; word * 64 < count; word++) {
                long value = bytes.getLong(bytes.position() + (int) word * 8);
                long wordBase = base + word * 64;
                long valid = count - word * 64;
                if (valid < 64) {
                    value &= (1L << valid) - 1;
                }
                addWord(wordBase, value);
            }
            closeRun();
        }

        /** A chunk whose every granule is dirty (qcow2's all-ones table entry). */
        public void ones(long index) {
            long base = index * perChunk;
            long count = Math.min(perChunk, bitmap.granuleCount() - base);
            if (count > 0) {
                set.add(base, base + count - 1);
            }
        }

        private void addWord(long base, long value) {
            while (value != 0) {
                int start = Long.numberOfTrailingZeros(value);
                long shifted = value >>> start;
                int length = shifted == -1L >>> start ? 64 - start : Long.numberOfTrailingZeros(~shifted);
                extend(base + start, base + start + length - 1);
                value = length + start >= 64 ? 0 : value & (-1L << (start + length));
            }
        }

        /** Consecutive ranges join one run, so long dirty areas cost one insertion. */
        private void extend(long first, long last) {
            if (runStart >= 0 && first == runEnd + 1) {
                runEnd = last;
                return;
            }
            closeRun();
            runStart = first;
            runEnd = last;
        }

        private void closeRun() {
            if (runStart >= 0) {
                set.add(runStart, runEnd);
                runStart = -1;
            }
        }

        public void finish() {
            closeRun();
            bitmap.restore(set);
        }
    }
}
