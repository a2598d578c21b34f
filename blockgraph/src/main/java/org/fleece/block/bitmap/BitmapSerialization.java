package org.fleece.block.bitmap;

import org.roaringbitmap.BitSetUtil;
import org.roaringbitmap.RoaringBitmap;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.LongBuffer;
import java.util.Arrays;

/**
 * A dirty bitmap as images store it (qcow2's bitmap data): one bit per
 * granule, granule i in bit i % 8 (least significant first) of byte i / 8,
 * which is QEMU's serialization too: little-endian 64-bit words. The bytes
 * are cut into chunks of a fixed size (a cluster each); only chunks with a
 * dirty granule need to exist, the rest read as clean.
 * <p>
 * Both directions work on whole words and whole Roaring containers (2^16
 * granules), never granule by granule or run by run, so a bitmap full of
 * scattered granules costs what a dense array costs.
 */
public final class BitmapSerialization {
    /** Words in a container of the granule set. */
    private static final int CONTAINER_WORDS = 1 << 10;

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
        private final int chunkWords;
        private final long chunks;
        private final long[] container = new long[CONTAINER_WORDS];
        private final long[] words;
        private final byte[] bytes;
        private final LongBuffer bytesAsWords;
        private final ChunkSink sink;
        private long current = -1;
        private IOException failure;

        Writer(long granules, int chunkBytes, ChunkSink sink) {
            this.chunkWords = chunkBytes / 8;
            this.chunks = ((granules + 63) / 64 + chunkWords - 1) / chunkWords;
            this.words = new long[chunkWords];
            this.bytes = new byte[chunkBytes];
            this.bytesAsWords = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asLongBuffer();
            this.sink = sink;
        }

        void write(Granules set) throws IOException {
            set.forEachContainer((firstGranule, bits) -> {
                if (failure == null) {
                    Arrays.fill(container, 0);
                    bits.copyBitmapTo(container, 0);
                    place(firstGranule / 64);
                }
            });
            emit();
            if (failure != null) {
                throw failure;
            }
        }

        /** Copies the container's words into the chunks they belong to, emitting each chunk once it is complete. */
        private void place(long firstWord) {
            for (int done = 0; done < CONTAINER_WORDS; ) {
                long word = firstWord + done;
                long chunk = word / chunkWords;
                if (chunk != current) {
                    emit();
                    current = chunk;
                }
                int at = (int) (word % chunkWords);
                int count = Math.min(CONTAINER_WORDS - done, chunkWords - at);
                System.arraycopy(container, done, words, at, count);
                done += count;
            }
        }

        private void emit() {
            if (current < 0 || failure != null) {
                return;
            }
            // A container reaches past the bitmap's end (and small chunks may be clean): those are skipped.
            if (current < chunks && !clean()) {
                bytesAsWords.clear().put(words);
                try {
                    sink.chunk(current, bytes);
                } catch (IOException e) {
                    failure = e;
                }
                Arrays.fill(words, 0);
            }
            current = -1;
        }

        private boolean clean() {
            for (long word : words) {
                if (word != 0) {
                    return false;
                }
            }
            return true;
        }
    }

    /**
     * Rebuilds a bitmap from its chunks, in any order; the bitmap gets the
     * bits on {@link #finish()}. Bits past the bitmap's end are ignored.
     * Words gather in a window of whole containers, which then joins the set
     * in one union.
     */
    public static final class Loader {
        private static final int WINDOW_WORDS = 1 << 16;

        private final DirtyBitmap bitmap;
        private final int chunkWords;
        private final long totalWords;
        private final Granules set = new Granules();
        private final long[] window = new long[WINDOW_WORDS];
        private long windowIndex = -1;

        public Loader(DirtyBitmap bitmap, int chunkBytes) {
            this.bitmap = bitmap;
            this.chunkWords = chunkBytes / 8;
            this.totalWords = (bitmap.granuleCount() + 63) / 64;
        }

        /** A chunk stored as data; one of only dirty granules joins the set as a single range. */
        public void chunk(long index, ByteBuffer stored) {
            LongBuffer source = stored.duplicate().order(ByteOrder.LITTLE_ENDIAN).asLongBuffer();
            long first = index * chunkWords;
            long end = Math.min(first + chunkWords, totalWords);
            if (allOnes(source, (int) (end - first))) {
                ones(index);
                return;
            }
            for (long word = first; word < end; ) {
                long target = word / WINDOW_WORDS;
                if (target != windowIndex) {
                    flush();
                    windowIndex = target;
                }
                int at = (int) (word % WINDOW_WORDS);
                int count = (int) Math.min(end - word, WINDOW_WORDS - at);
                source.get((int) (word - first), window, at, count);
                word += count;
            }
            long granules = bitmap.granuleCount();
            if (end == totalWords && end > first && granules % 64 != 0) {
                window[(int) ((end - 1) % WINDOW_WORDS)] &= (1L << (granules % 64)) - 1;
            }
        }

        private static boolean allOnes(LongBuffer words, int count) {
            for (int i = 0; i < count; i++) {
                if (words.get(i) != -1L) {
                    return false;
                }
            }
            return true;
        }

        /** A chunk whose every granule is dirty (qcow2's all-ones table entry). */
        public void ones(long index) {
            long base = index * chunkWords * 64;
            long count = Math.min(chunkWords * 64L, bitmap.granuleCount() - base);
            if (count > 0) {
                set.add(base, base + count - 1);
            }
        }

        private void flush() {
            if (windowIndex < 0) {
                return;
            }
            RoaringBitmap part = BitSetUtil.bitmapOf(window);
            if (!part.isEmpty()) {
                part.runOptimize();
                set.or(part, windowIndex * WINDOW_WORDS * 64);
            }
            Arrays.fill(window, 0);
            windowIndex = -1;
        }

        public void finish() {
            flush();
            bitmap.restore(set);
        }
    }
}
