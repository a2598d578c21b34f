package org.fleece.qapi;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.List;

/**
 * The order in which QEMU's QDict yields its keys: by ascending hash bucket,
 * and within a bucket the key inserted last first. QEMU serialises objects and
 * reports the first unexpected member in this order, so byte-exact clients see it.
 */
public final class QDictOrder {
    public static final int BUCKETS = 512;

    private QDictOrder() {
    }

    /**
     * QDict's bucket for {@code key}: {@code tdb_hash(key) % 512}, computed over the key as QEMU
     * stores it (UTF-8, with U+0000 as the two bytes C0 80), in 32-bit unsigned arithmetic. Members
     * come out by ascending bucket.
     */
    public static int bucket(String key) {
        int n = key.length();
        int value;
        boolean ascii = true;
        for (int i = 0; i < n; i++) {
            char c = key.charAt(i);
            if (c == 0 || c >= 0x80) {
                ascii = false;
                break;
            }
        }
        if (ascii) {
            value = 0x238F13AF * n;
            for (int i = 0; i < n; i++) {
                value += key.charAt(i) << (i * 5 % 24);
            }
        } else {
            value = 0x238F13AF * utf8Length(key);
            int i = 0; // byte index
            for (int k = 0; k < n; k++) {
                int cp = key.charAt(k);
                if (Character.isHighSurrogate((char) cp) && k + 1 < n && Character.isLowSurrogate(key.charAt(k + 1))) {
                    cp = Character.toCodePoint((char) cp, key.charAt(++k));
                }
                if (cp != 0 && cp < 0x80) {
                    value += cp << (i * 5 % 24);
                    i++;
                } else if (cp < 0x800) {
                    value += (0xc0 | cp >> 6) << (i * 5 % 24);
                    i++;
                    value += (0x80 | (cp & 0x3f)) << (i * 5 % 24);
                    i++;
                } else if (cp < 0x10000) {
                    value += (0xe0 | cp >> 12) << (i * 5 % 24);
                    i++;
                    value += (0x80 | (cp >> 6 & 0x3f)) << (i * 5 % 24);
                    i++;
                    value += (0x80 | (cp & 0x3f)) << (i * 5 % 24);
                    i++;
                } else {
                    value += (0xf0 | cp >> 18) << (i * 5 % 24);
                    i++;
                    value += (0x80 | (cp >> 12 & 0x3f)) << (i * 5 % 24);
                    i++;
                    value += (0x80 | (cp >> 6 & 0x3f)) << (i * 5 % 24);
                    i++;
                    value += (0x80 | (cp & 0x3f)) << (i * 5 % 24);
                    i++;
                }
            }
        }
        int hash = 1103515243 * value + 12345;
        return (int) (Integer.toUnsignedLong(hash) % BUCKETS);
    }

    /** The object's keys in the order QEMU's QDict would yield them. */
    public static List<String> keys(JsonNode object) {
        List<String> inserted = new ArrayList<>();
        object.fieldNames().forEachRemaining(inserted::add);
        List<String> ordered = new ArrayList<>(inserted);
        ordered.sort((a, b) -> compare(a, inserted.indexOf(a), b, inserted.indexOf(b)));
        return ordered;
    }

    /**
     * Compares two keys of one object by QDict iteration order, given their insertion positions.
     * Returns a negative number if {@code a} is yielded before {@code b}.
     */
    public static int compare(String a, int insertedA, String b, int insertedB) {
        int byBucket = Integer.compare(bucket(a), bucket(b));
        return byBucket != 0 ? byBucket : Integer.compare(insertedB, insertedA);
    }

    private static int utf8Length(String s) {
        int n = s.length();
        int bytes = 0;
        for (int k = 0; k < n; k++) {
            char c = s.charAt(k);
            if (c != 0 && c < 0x80) {
                bytes++;
            } else if (c < 0x800) {
                bytes += 2;
            } else if (Character.isHighSurrogate(c) && k + 1 < n && Character.isLowSurrogate(s.charAt(k + 1))) {
                bytes += 4;
                k++;
            } else {
                bytes += 3;
            }
        }
        return bytes;
    }
}
