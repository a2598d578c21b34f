package org.fleece.block.bitmap;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * x-debug-block-dirty-bitmap-sha256: the SHA-256 of the bitmap as QEMU lays
 * it out in memory, one bit per granule in 64-bit little-endian words (at
 * least one word), so that golden files hold for both daemons. The dense
 * layout is streamed run by run; clean stretches are fed from a buffer of
 * zeroes instead of being materialised.
 */
public final class BitmapHash {
    private static final int CHUNK = 1 << 16;
    private static final byte[] ZEROES = new byte[CHUNK];
    private static final byte[] ONES = filledWithOnes();

    private final MessageDigest digest;
    private final ByteBuffer words = ByteBuffer.allocate(CHUNK).order(ByteOrder.LITTLE_ENDIAN);
    /** Index of the word being assembled, and its bits so far. */
    private long wordIndex;
    private long word;

    private BitmapHash() {
        try {
            digest = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }

    public static String sha256(DirtyBitmap bitmap) {
        BitmapHash hash = new BitmapHash();
        bitmap.backup().forEachRun(hash::run);
        long totalWords = Math.max(1, (bitmap.granuleCount() + 63) / 64);
        hash.finishWord();
        hash.bulk(ZEROES, totalWords - hash.wordIndex);
        hash.flushWords();
        return HexFormat.of().formatHex(hash.digest.digest());
    }

    private void run(long first, long last) {
        long firstWord = first / 64;
        long lastWord = last / 64;
        moveTo(firstWord);
        if (firstWord == lastWord) {
            word |= bits(first % 64, last % 64);
            return;
        }
        word |= bits(first % 64, 63);
        finishWord();
        bulk(ONES, lastWord - wordIndex);
        word = bits(0, last % 64);
    }

    /** Bits from..to (inclusive) of a word set. */
    private static long bits(long from, long to) {
        long upTo = to == 63 ? -1L : (1L << (to + 1)) - 1;
        return upTo & (-1L << from);
    }

    /** Emits the current word and zero words up to index. */
    private void moveTo(long index) {
        if (index == wordIndex) {
            return;
        }
        finishWord();
        bulk(ZEROES, index - wordIndex);
    }

    private void finishWord() {
        if (!words.hasRemaining()) {
            flushWords();
        }
        words.putLong(word);
        word = 0;
        wordIndex++;
    }

    /** Count words of all zeroes or all ones. */
    private void bulk(byte[] pattern, long count) {
        wordIndex += count;
        long bytes = count * 8;
        while (bytes > 0 && words.hasRemaining()) {
            int n = (int) Math.min(bytes, words.remaining());
            words.put(pattern, 0, n);
            bytes -= n;
        }
        if (bytes > 0) {
            flushWords();
            for (; bytes >= CHUNK; bytes -= CHUNK) {
                digest.update(pattern);
            }
            words.put(pattern, 0, (int) bytes);
        }
    }

    private void flushWords() {
        digest.update(words.array(), 0, words.position());
        words.clear();
    }

    private static byte[] filledWithOnes() {
        byte[] ones = new byte[CHUNK];
        java.util.Arrays.fill(ones, (byte) 0xff);
        return ones;
    }
}
