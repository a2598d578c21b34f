package org.fleece.block.bitmap;

import org.roaringbitmap.RoaringBitmap;

import java.util.Arrays;

/**
 * A set of granule numbers, compressed: what a dirty bitmap stores. Roaring
 * bitmaps hold 32-bit values, so the set is cut into chunks of 2^32 granules
 * (one chunk covers 256 TiB at 64 KiB granularity, so nearly every bitmap
 * has exactly one). Finding the next granule in or out of the set works on
 * whole containers, never granule by granule. Not thread-safe: its owner
 * ({@link DirtyBitmap}) locks around it; to others it is an opaque saved copy.
 */
public final class Granules {
    private static final long CHUNK = 1L << 32;

    private RoaringBitmap[] chunks = new RoaringBitmap[0];

    /** Adds the granules from first to last, inclusive. */
    void add(long first, long last) {
        for (long c = first / CHUNK; c <= last / CHUNK; c++) {
            chunk(c).add(Math.max(first, c * CHUNK) - c * CHUNK, Math.min(last, c * CHUNK + CHUNK - 1) - c * CHUNK + 1);
        }
    }

    void remove(long first, long last) {
        for (long c = first / CHUNK; c <= last / CHUNK && c < chunks.length; c++) {
            if (chunks[(int) c] != null) {
                chunks[(int) c].remove(Math.max(first, c * CHUNK) - c * CHUNK,
                        Math.min(last, c * CHUNK + CHUNK - 1) - c * CHUNK + 1);
            }
        }
    }

    void clear() {
        chunks = new RoaringBitmap[0];
    }

    long cardinality() {
        long count = 0;
        for (RoaringBitmap chunk : chunks) {
            count += chunk == null ? 0 : chunk.getLongCardinality();
        }
        return count;
    }

    void or(Granules other) {
        for (int c = 0; c < other.chunks.length; c++) {
            if (other.chunks[c] != null) {
                chunk(c).or(other.chunks[c]);
            }
        }
    }

    Granules copy() {
        Granules copy = new Granules();
        copy.chunks = new RoaringBitmap[chunks.length];
        for (int c = 0; c < chunks.length; c++) {
            copy.chunks[c] = chunks[c] == null ? null : chunks[c].clone();
        }
        return copy;
    }

    /** The first granule at or after from that is in the set, or -1. */
    long next(long from) {
        for (long c = from / CHUNK; c < chunks.length; c++) {
            RoaringBitmap chunk = chunks[(int) c];
            long start = Math.max(from, c * CHUNK) - c * CHUNK;
            long found = chunk == null ? -1 : chunk.nextValue((int) start);
            if (found >= 0) {
                return c * CHUNK + found;
            }
        }
        return -1;
    }

    /** The first granule at or after from that is not in the set. */
    long nextAbsent(long from) {
        for (long c = from / CHUNK; ; c++) {
            RoaringBitmap chunk = c < chunks.length ? chunks[(int) c] : null;
            long start = Math.max(from, c * CHUNK) - c * CHUNK;
            // -1: every granule from start to the chunk's end is in the set.
            long found = chunk == null ? start : chunk.nextAbsentValue((int) start);
            if (found >= 0) {
                return c * CHUNK + found;
            }
        }
    }

    /** Calls back once per maximal run of consecutive granules, in order. */
    void forEachRun(RunConsumer consumer) {
        for (long first = next(0); first >= 0; ) {
            long end = nextAbsent(first);
            consumer.run(first, end - 1);
            first = next(end);
        }
    }

    /** Heap bytes the set takes, for memory figures. */
    long sizeInBytes() {
        long bytes = 16L + 8L * chunks.length;
        for (RoaringBitmap chunk : chunks) {
            bytes += chunk == null ? 0 : chunk.getLongSizeInBytes();
        }
        return bytes;
    }

    private RoaringBitmap chunk(long c) {
        if (c >= chunks.length) {
            chunks = Arrays.copyOf(chunks, (int) c + 1);
        }
        if (chunks[(int) c] == null) {
            chunks[(int) c] = new RoaringBitmap();
        }
        return chunks[(int) c];
    }

    @FunctionalInterface
    interface RunConsumer {
        void run(long first, long last);
    }
}
