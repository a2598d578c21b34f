package org.fleece.qapi;

import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Which unvisited member QEMU names in "Parameter 'x' is unexpected": its input
 * visitor copies an object's keys into a GLib hash table, deletes each key as
 * it is visited and reports the first key left in table order. This replays
 * GLib's table (g_str_hash, index = hash * 11 % prime, triangular probing,
 * tombstones, resizing) just far enough to know that order.
 */
public final class GHashOrder {
    private static final int[] PRIME_MOD = {1, 2, 3, 7, 13, 31, 61, 127, 251, 509, 1021, 2039, 4093, 8191,
        16381, 32749, 65521, 131071, 262139, 524287, 1048573, 2097143, 4194301, 8388593, 16777213};
    private static final int MIN_SHIFT = 3;
    private static final int UNUSED = 0;
    private static final int TOMBSTONE = 1;

    private String[] keys;
    private int[] hashes;
    private int size;
    private int mod;
    private int nnodes;
    private int noccupied;

    private GHashOrder() {
        setShift(MIN_SHIFT);
    }

    /**
     * @param keys    the object's keys in QDict order (the order they were copied into the table)
     * @param visited the keys the visitor consumed, in the order it consumed them
     * @return the key QEMU reports as unexpected, or null when every key was visited
     */
    public static String firstUnvisited(List<String> keys, List<String> visited) {
        GHashOrder table = new GHashOrder();
        keys.forEach(table::insert);
        visited.forEach(table::remove);
        for (int i = 0; i < table.size; i++) {
            if (live(table.hashes[i])) {
                return table.keys[i];
            }
        }
        return null;
    }

    /** Hashes are unsigned in C: any value but the two markers is a live entry. */
    private static boolean live(int hash) {
        return hash != UNUSED && hash != TOMBSTONE;
    }

    private void setShift(int shift) {
        size = 1 << shift;
        mod = PRIME_MOD[shift];
        keys = new String[size];
        hashes = new int[size];
    }

    private static int strHash(String key) {
        int h = 5381;
        for (byte b : key.getBytes(StandardCharsets.UTF_8)) {
            h = (h << 5) + h + b;
        }
        return Integer.compareUnsigned(h, TOMBSTONE) <= 0 ? 2 : h;
    }

    private int lookup(String key, int hash) {
        int index = (int) (Integer.toUnsignedLong(hash * 11) % mod);
        int firstTombstone = -1;
        int step = 0;
        while (hashes[index] != UNUSED) {
            if (hashes[index] == hash && key.equals(keys[index])) {
                return index;
            }
            if (hashes[index] == TOMBSTONE && firstTombstone < 0) {
                firstTombstone = index;
            }
            step++;
            index = (index + step) & (size - 1);
        }
        return firstTombstone >= 0 ? firstTombstone : index;
    }

    private void insert(String key) {
        int hash = strHash(key);
        int index = lookup(key, hash);
        if (live(hashes[index])) {
            return;
        }
        if (hashes[index] == UNUSED) {
            noccupied++;
        }
        hashes[index] = hash;
        keys[index] = key;
        nnodes++;
        maybeResize();
    }

    private void remove(String key) {
        int hash = strHash(key);
        int index = lookup(key, hash);
        if (!live(hashes[index])) {
            return;
        }
        hashes[index] = TOMBSTONE;
        keys[index] = null;
        nnodes--;
        maybeResize();
    }

    private void maybeResize() {
        if ((size > nnodes * 4 && size > 1 << MIN_SHIFT) || size <= noccupied + noccupied / 16) {
            String[] oldKeys = keys;
            int[] oldHashes = hashes;
            int wanted = (int) (nnodes * 1.333);
            int shift = 0;
            while (wanted != 0) {
                wanted >>= 1;
                shift++;
            }
            setShift(Math.max(shift, MIN_SHIFT));
            noccupied = nnodes;
            for (int i = 0; i < oldKeys.length; i++) {
                if (live(oldHashes[i])) {
                    int index = lookup(oldKeys[i], oldHashes[i]);
                    hashes[index] = oldHashes[i];
                    keys[index] = oldKeys[i];
                }
            }
        }
    }
}
