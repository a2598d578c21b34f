package org.fleece.block.bitmap;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;
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
    /** The window's words are built here, where plain array stores are cheap even before the JIT. */
    private final long[] words = new long[WINDOW_WORDS];
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
            int from = (int) (bit % 64);
            int to = (int) Math.min(63, last - word * 64);
            words[(int) (word - windowStart)] |= (to == 63 ? -1L : (1L << (to + 1)) - 1) & (-1L << from);
            windowDirty = true;
            bit = word * 64 + 64;
        }
    }

    /** Hashes whole windows until the word is inside the window, or everything once the word is the end. */
    private void advanceTo(long word) {
        while (windowStart < totalWords && (word >= windowStart + WINDOW_WORDS || word >= totalWords)) {
            int count = (int) Math.min(WINDOW_WORDS, totalWords - windowStart);
            if (windowDirty) {
                MemorySegment.copy(words, 0, window, LITTLE_ENDIAN_LONG, 0, count);
            }
            digest.update(window, count * 8L);
            if (windowDirty) {
                Arrays.fill(words, 0);
                window.fill((byte) 0);
                windowDirty = false;
            }
            windowStart += count;
        }
    }
}
