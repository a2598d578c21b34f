package org.fleece.block.bitmap;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.HexFormat;

/**
 * x-debug-block-dirty-bitmap-sha256: the SHA-256 of the bitmap as QEMU lays
 * it out in memory, one bit per granule in 64-bit little-endian words (at
 * least one word), so that golden files hold for both daemons. The dense
 * layout is built a window at a time (4 MiB of it, reused), so a huge bitmap
 * never needs its whole dense copy.
 */
public final class BitmapHash {
    private static final int WINDOW_WORDS = 1 << 19;
    private static final ValueLayout.OfLong LITTLE_ENDIAN_LONG = ValueLayout.JAVA_LONG_UNALIGNED
            .withOrder(ByteOrder.LITTLE_ENDIAN);

    private final Sha256 digest = Sha256.create();
    /** Off-heap, so that libcrypto reads it in place. */
    private final Arena arena = Arena.ofConfined();
    private final MemorySegment window = arena.allocate(WINDOW_WORDS * 8L, 8);
    private final long totalWords;
    /** The first word the window holds; words before it are hashed already. */
    private long windowStart;
    private boolean windowDirty;

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
            int index = (int) (word - windowStart) * 8;
            int from = (int) (bit % 64);
            int to = (int) Math.min(63, last - word * 64);
            long mask = (to == 63 ? -1L : (1L << (to + 1)) - 1) & (-1L << from);
            window.set(LITTLE_ENDIAN_LONG, index, window.get(LITTLE_ENDIAN_LONG, index) | mask);
            windowDirty = true;
            bit = word * 64 + 64;
        }
    }

    /** Hashes whole windows until the word is inside the window, or everything once the word is the end. */
    private void advanceTo(long word) {
        while (windowStart < totalWords && (word >= windowStart + WINDOW_WORDS || word >= totalWords)) {
            int words = (int) Math.min(WINDOW_WORDS, totalWords - windowStart);
            digest.update(window, words * 8L);
            if (windowDirty) {
                window.fill((byte) 0);
                windowDirty = false;
            }
            windowStart += words;
        }
    }
}
