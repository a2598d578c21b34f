package org.fleece.block.bitmap;

import org.roaringbitmap.Container;
import org.roaringbitmap.ContainerPointer;
import org.roaringbitmap.PeekableIntIterator;
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

    /**
     * Calls back once per maximal run of consecutive granules, in order.
     * Scattered granules cost one iterator step each; a long run is skipped
     * over in one jump.
     */
    void forEachRun(RunConsumer consumer) {
        long[] pending = {-1, -1};
        RunConsumer joining = (first, last) -> {
            if (pending[0] >= 0 && first == pending[1] + 1) {
                pending[1] = last;
                return;
            }
            if (pending[0] >= 0) {
                consumer.run(pending[0], pending[1]);
            }
            pending[0] = first;
            pending[1] = last;
        };
        for (int c = 0; c < chunks.length; c++) {
            if (chunks[c] != null) {
                chunkRuns(chunks[c], c * CHUNK, joining);
            }
        }
        if (pending[0] >= 0) {
            consumer.run(pending[0], pending[1]);
        }
    }

    /** The runs of one chunk; one that reaches the chunk's end continues in the next chunk, if at all. */
    private static void chunkRuns(RoaringBitmap chunk, long base, RunConsumer consumer) {
        PeekableIntIterator it = chunk.getIntIterator();
        while (it.hasNext()) {
            long first = Integer.toUnsignedLong(it.next());
            long last = first;
            if (it.hasNext() && Integer.toUnsignedLong(it.peekNext()) == first + 1) {
                long absent = chunk.nextAbsentValue((int) (first + 1));
                if (absent < 0) {
                    consumer.run(base + first, base + CHUNK - 1);
                    return;
                }
                last = absent - 1;
                it.advanceIfNeeded((int) absent);
            }
            consumer.run(base + first, base + last);
        }
    }

    /**
     * Adds every granule of {@code part} shifted by {@code offset}, a multiple
     * of 2^16 (whole containers move) whose part stays within one chunk.
     */
    void or(RoaringBitmap part, long offset) {
        long c = offset / CHUNK;
        chunk(c).or(RoaringBitmap.addOffset(part, offset - c * CHUNK));
    }

    /**
     * Calls back once per container (2^16 consecutive granule numbers, at
     * least one in the set), in order, with the first granule it covers: for
     * turning the set into a dense bit array a container at a time.
     */
    void forEachContainer(ContainerConsumer consumer) {
        for (int c = 0; c < chunks.length; c++) {
            if (chunks[c] == null) {
                continue;
            }
            ContainerPointer pointer = chunks[c].getContainerPointer();
            for (Container container = pointer.getContainer(); container != null; container = pointer.getContainer()) {
                consumer.accept(c * CHUNK + ((long) pointer.key() << 16), container);
                pointer.advance();
            }
        }
    }

    @FunctionalInterface
    interface ContainerConsumer {
        void accept(long firstGranule, Container container);
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
