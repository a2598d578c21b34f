package org.fleece.block.bitmap;

import org.roaringbitmap.Container;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * x-debug-block-dirty-bitmap-sha256: the SHA-256 of the bitmap as QEMU lays
 * it out in memory, one bit per granule in 64-bit little-endian words (at
 * least one word), so that golden files hold for both daemons. The dense
 * layout is built a window at a time (reused), so a huge bitmap never needs
 * its whole dense copy. Each container of the set (2^16 granules, 1024
 * words) is turned into its words by the set's own bulk copy and placed in
 * the window; once hashed, only the places that got words are cleared again.
 */
public final class BitmapHash {
    /** 256 KiB: it stays in the CPU's cache between its stores and libcrypto's reads, and below malloc's mmap threshold. */
    private static final int WINDOW_WORDS = 1 << 15;
    private static final int CONTAINER_WORDS = 1 << 10;
    private static final ValueLayout.OfLong WORD = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final AtomicBoolean PREPARED = new AtomicBoolean();

    private final Sha256 digest = Sha256.create();
    /** Off-heap, so that libcrypto reads it in place, and freed as soon as the hash is done. */
    private final Arena arena = Arena.ofConfined();
    private final MemorySegment window = arena.allocate(WINDOW_WORDS * 8L, 8);
    private final long[] container = new long[CONTAINER_WORDS];
    /** The window's containers (their first word) that hold words. */
    private final int[] placed = new int[WINDOW_WORDS / CONTAINER_WORDS];
    private int placedCount;
    private final long totalWords;
    /** The first word the window holds; words before it are hashed already. */
    private long windowStart;

    private BitmapHash(long totalWords) {
        this.totalWords = totalWords;
    }

    /**
     * Hashes a tiny bitmap once on a thread of its own, the first time a
     * bitmap appears: the process's first hash links libcrypto's functions
     * (about 30 ms), and then nobody waits for that.
     */
    static void prepareInBackground() {
        if (PREPARED.compareAndSet(false, true)) {
            Thread.ofPlatform().daemon().name("bitmap-hash-warm-up").start(() -> sha256(new DirtyBitmap("", 65536, 65536)));
        }
    }

    public static String sha256(DirtyBitmap bitmap) {
        BitmapHash hash = new BitmapHash(Math.max(1, (bitmap.granuleCount() + 63) / 64));
        try {
            bitmap.backup().forEachContainer(hash::place);
            hash.advanceTo(hash.totalWords);
            return HexFormat.of().formatHex(hash.digest.digest());
        } finally {
            hash.arena.close();
        }
    }

    /** A container's words: it starts on a multiple of 1024 words, so it never straddles two windows. */
    private void place(long firstGranule, Container bits) {
        long firstWord = firstGranule / 64;
        advanceTo(firstWord);
        Arrays.fill(container, 0);
        bits.copyBitmapTo(container, 0);
        int index = (int) (firstWord - windowStart);
        int count = (int) Math.min(CONTAINER_WORDS, totalWords - firstWord);
        MemorySegment.copy(container, 0, window, WORD, index * 8L, count);
        placed[placedCount++] = index;
    }

    /** Hashes whole windows until the word is inside the window, or everything once the word is the end. */
    private void advanceTo(long word) {
        while (windowStart < totalWords && (word >= windowStart + WINDOW_WORDS || word >= totalWords)) {
            int count = (int) Math.min(WINDOW_WORDS, totalWords - windowStart);
            digest.update(window, count * 8L);
            for (int i = 0; i < placedCount; i++) {
                window.asSlice(placed[i] * 8L, Math.min(CONTAINER_WORDS, count - placed[i]) * 8L).fill((byte) 0);
            }
            placedCount = 0;
            windowStart += count;
        }
    }
}
