package org.fleece.qapi;

import java.nio.charset.StandardCharsets;

/**
 * The order in which QEMU's QDict yields its keys: by ascending hash bucket,
 * and within a bucket the key inserted last first. QEMU serialises objects and
 * reports the first unexpected member in this order, so byte-exact clients see it.
 */
public final class QDictOrder {
    public static final int BUCKETS = 512;

    private QDictOrder() {
    }

    /** tdb_hash(key) % 512, over the key's UTF-8 bytes, in 32-bit unsigned arithmetic. */
    public static int bucket(String key) {
        byte[] bytes = key.getBytes(StandardCharsets.UTF_8);
        int value = 0x238F13AF * bytes.length;
        for (int i = 0; i < bytes.length; i++) {
            value += (bytes[i] & 0xff) << (i * 5 % 24);
        }
        int hash = 1103515243 * value + 12345;
        return (int) (Integer.toUnsignedLong(hash) % BUCKETS);
    }

    /**
     * Compares two keys of one object by QDict iteration order, given their insertion positions.
     * Returns a negative number if {@code a} is yielded before {@code b}.
     */
    public static int compare(String a, int insertedA, String b, int insertedB) {
        int byBucket = Integer.compare(bucket(a), bucket(b));
        return byBucket != 0 ? byBucket : Integer.compare(insertedB, insertedA);
    }
}
