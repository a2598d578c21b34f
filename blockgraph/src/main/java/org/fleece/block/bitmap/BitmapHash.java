package org.fleece.block.bitmap;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HexFormat;

/**
 * x-debug-block-dirty-bitmap-sha256: the SHA-256 of the bitmap as QEMU lays
 * it out in memory, one bit per granule in 64-bit little-endian words (at
 * least one word), so that golden files hold for both daemons. The dense
 * layout is built a window at a time (reused), so a huge bitmap never needs
 * its whole dense copy. Only the words that got bits are written and, once
 * hashed, cleared again: a scattered bitmap costs its dirty words, not
 * passes over every window.
 */
public final class BitmapHash {
    /** 256 KiB: it stays in the CPU's cache between its stores and libcrypto's reads, and below malloc's mmap threshold. */
    private static final int WINDOW_WORDS = 1 << 15;

    private final Sha256 digest = Sha256.create();
    /** Off-heap, so that libcrypto reads it in place, and freed as soon as the hash is done. */
    private final Arena arena = Arena.ofConfined();
    private final MemorySegment windowSegment = arena.allocate(WINDOW_WORDS * 8L, 8);
    /** The window as a buffer: its stores are cheap even before the JIT, unlike a segment's. */
    private final ByteBuffer window = windowSegment.asByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
    /** The window's words that hold bits, each once. */
    private final int[] touched = new int[WINDOW_WORDS];
    private int touchedCount;
    private final long totalWords;
    /** The first word the window holds; words before it are hashed already. */
    private long windowStart;

    private BitmapHash(long totalWords) {
        this.totalWords = totalWords;
    }

    public static String sha256(DirtyBitmap bitmap) {
        BitmapHash hash = new BitmapHash(Math.max(1, (bitmap.granuleCount() + 63) / 64));
        try {
            bitmap.backup().forEachRun(hash::setBits);
            hash.advanceTo(hash.totalWords);
            return HexFormat.of().formatHex(hash.digest.digest());
        } finally {
            hash.arena.close();
        }
    }

    private void setBits(long first, long last) {
        for (long bit = first; bit <= last; ) {
            long word = bit / 64;
            advanceTo(word);
            int from = (int) (bit % 64);
            int to = (int) Math.min(63, last - word * 64);
            int index = (int) (word - windowStart);
            long old = window.getLong(index * 8);
            if (old == 0) {
                touched[touchedCount++] = index;
            }
            window.putLong(index * 8, old | (to == 63 ? -1L : (1L << (to + 1)) - 1) & (-1L << from));
            bit = word * 64 + 64;
        }
    }

    /** Hashes whole windows until the word is inside the window, or everything once the word is the end. */
    private void advanceTo(long word) {
        while (windowStart < totalWords && (word >= windowStart + WINDOW_WORDS || word >= totalWords)) {
            int count = (int) Math.min(WINDOW_WORDS, totalWords - windowStart);
            digest.update(windowSegment, count * 8L);
            for (int i = 0; i < touchedCount; i++) {
                window.putLong(touched[i] * 8, 0);
            }
            touchedCount = 0;
            windowStart += count;
        }
    }
}
