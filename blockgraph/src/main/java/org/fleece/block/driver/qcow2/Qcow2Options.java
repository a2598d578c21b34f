package org.fleece.block.driver.qcow2;

import com.fasterxml.jackson.databind.JsonNode;
import org.fleece.block.NodeOptions;
import org.fleece.qapi.QmpError;

/**
 * BlockdevOptionsQcow2 with QEMU's defaults and checks: how many L2 tables
 * and refcount blocks to cache, which freed clusters the file hears about,
 * lazy refcounts.
 *
 * @param passDiscard by {@link Refcounts.DiscardType} ordinal
 */
record Qcow2Options(int l2CacheTables, int refcountCacheTables, long cacheCleanInterval, boolean lazyRefcounts,
                    boolean[] passDiscard) {
    private static final long DEFAULT_L2_CACHE_MAX_SIZE = 32L << 20;
    private static final int MIN_L2_CACHE_TABLES = 2;
    private static final int MIN_REFCOUNT_CACHE_TABLES = 4;

    static Qcow2Options of(JsonNode options, NodeOptions base, Qcow2Header header) {
        long clusterSize = header.clusterSize();
        long maxL2Cache = roundUp(ceilDiv(header.size(), clusterSize) * 8, clusterSize);
        boolean combinedSet = options.has("cache-size");
        boolean l2Set = options.has("l2-cache-size");
        boolean refcountSet = options.has("refcount-cache-size");
        long combined = options.path("cache-size").asLong(0);
        long l2Cache = options.path("l2-cache-size").asLong(0);
        long refcountCache = options.path("refcount-cache-size").asLong(0);
        if (combinedSet && l2Set && refcountSet) {
            throw QmpError.generic("cache-size, l2-cache-size and refcount-cache-size may not be set at the same time");
        }
        if (combinedSet && l2Set && l2Cache > combined) {
            throw QmpError.generic("l2-cache-size may not exceed cache-size");
        }
        if (combinedSet && refcountSet && refcountCache > combined) {
            throw QmpError.generic("refcount-cache-size may not exceed cache-size");
        }
        if (combinedSet) {
            if (l2Set) {
                refcountCache = combined - l2Cache;
            } else if (refcountSet) {
                l2Cache = combined - refcountCache;
            } else {
                l2Cache = Math.min(combined, maxL2Cache);
                refcountCache = combined - l2Cache;
            }
        } else {
            if (!l2Set) {
                l2Cache = Math.min(maxL2Cache, DEFAULT_L2_CACHE_MAX_SIZE);
            }
            if (!refcountSet) {
                refcountCache = 4 * clusterSize;
            }
        }
        long entrySize = options.path("l2-cache-entry-size").asLong(clusterSize);
        if (entrySize < 512 || entrySize > clusterSize || Long.bitCount(entrySize) != 1) {
            throw QmpError.generic("L2 cache entry size must be a power of two between 512 and the cluster size ("
                    + clusterSize + ")");
        }
        long l2Tables = Math.max(MIN_L2_CACHE_TABLES, l2Cache / entrySize);
        if (l2Tables > Integer.MAX_VALUE) {
            throw QmpError.generic("L2 cache size too big");
        }
        long refcountTables = Math.max(MIN_REFCOUNT_CACHE_TABLES, refcountCache / clusterSize);
        if (refcountTables > Integer.MAX_VALUE) {
            throw QmpError.generic("Refcount cache size too big");
        }
        long cleanInterval = options.path("cache-clean-interval").asLong(600);
        if (cleanInterval < 0 || cleanInterval > 0xffffffffL) {
            throw QmpError.generic("Cache clean interval too big");
        }
        boolean lazy = options.path("lazy-refcounts")
                .asBoolean((header.compatibleFeatures() & Qcow2Header.COMPAT_LAZY_REFCOUNTS) != 0);
        if (lazy && header.version() < 3) {
            throw QmpError.generic("Lazy refcounts require a qcow2 image with at least qemu 1.1 compatibility level");
        }
        boolean[] pass = new boolean[Refcounts.DiscardType.values().length];
        pass[Refcounts.DiscardType.REQUEST.ordinal()] = options.path("pass-discard-request")
                .asBoolean(base.discard().equals("unmap"));
        pass[Refcounts.DiscardType.SNAPSHOT.ordinal()] = options.path("pass-discard-snapshot").asBoolean(true);
        pass[Refcounts.DiscardType.OTHER.ordinal()] = options.path("pass-discard-other").asBoolean(false);
        pass[Refcounts.DiscardType.ALWAYS.ordinal()] = true;
        return new Qcow2Options((int) l2Tables, (int) refcountTables, cleanInterval, lazy, pass);
    }

    private static long ceilDiv(long a, long b) {
        return (a + b - 1) / b;
    }

    private static long roundUp(long a, long b) {
        return ceilDiv(a, b) * b;
    }
}
