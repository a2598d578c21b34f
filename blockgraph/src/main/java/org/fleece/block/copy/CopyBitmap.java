package org.fleece.block.copy;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Which clusters a backup still has to copy (QEMU's block-copy bitmap) and
 * which are being copied right now. A cluster is claimed before its old data
 * is read and released once it is on the target, so a guest write to it
 * waits for exactly that copy, and nobody copies a cluster twice. Workers
 * take runs from a cursor; a guest write claims its own clusters at once,
 * which puts them ahead of everything the workers have not started.
 */
public final class CopyBitmap {
    private final long clusterSize;
    private final long clusters;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition released = lock.newCondition();
    private final BitSet todo = new BitSet();
    private final BitSet inFlight = new BitSet();
    private int cursor;

    public CopyBitmap(long clusterSize, long length) {
        this.clusterSize = clusterSize;
        this.clusters = (length + clusterSize - 1) / clusterSize;
    }

    public long clusterSize() {
        return clusterSize;
    }

    /** Marks the clusters that cover the byte range as to be copied. */
    public void set(long offset, long bytes) {
        if (bytes <= 0) {
            return;
        }
        lock.lock();
        try {
            todo.set(toInt(offset / clusterSize), toInt(Math.min(clusters, (offset + bytes + clusterSize - 1) / clusterSize)));
        } finally {
            lock.unlock();
        }
    }

    /** Drops clusters nobody needs copied (unallocated ones for sync=top). */
    public void reset(long offset, long bytes) {
        lock.lock();
        try {
            todo.clear(toInt(offset / clusterSize), toInt(Math.min(clusters, (offset + bytes) / clusterSize)));
        } finally {
            lock.unlock();
        }
    }

    /** Bytes still to copy, whole clusters. */
    public long remainingBytes() {
        lock.lock();
        try {
            return (long) todo.cardinality() * clusterSize;
        } finally {
            lock.unlock();
        }
    }

    /** Starts the workers' pass over again from the first cluster (after an error put clusters back). */
    public void rewind() {
        lock.lock();
        try {
            cursor = 0;
        } finally {
            lock.unlock();
        }
    }

    /** A worker's next run of at most maxClusters clusters to copy, as {first, count}; null when none is left. */
    public long[] claimNext(int maxClusters) {
        lock.lock();
        try {
            int first = todo.nextSetBit(cursor);
            if (first < 0) {
                cursor = toInt(clusters);
                return null;
            }
            int end = todo.nextClearBit(first);
            end = Math.min(end, first + maxClusters);
            todo.clear(first, end);
            inFlight.set(first, end);
            cursor = end;
            return new long[] {first, end - first};
        } finally {
            lock.unlock();
        }
    }

    /** Gives back the tail of a claimed run, from cluster keep on: the workers take it up next. */
    public void shrink(long[] run, long keep) {
        lock.lock();
        try {
            int tail = toInt(run[0] + keep);
            int end = toInt(run[0] + run[1]);
            inFlight.clear(tail, end);
            todo.set(tail, end);
            cursor = Math.min(cursor, tail);
            run[1] = keep;
        } finally {
            lock.unlock();
        }
    }

    /**
     * A guest write's claim on the clusters it touches: the runs it must copy
     * itself (claimed now), or an empty list once none is left to copy and
     * none is in flight. Waits meanwhile for clusters others are copying.
     */
    public List<long[]> claimForWrite(long offset, long bytes) throws InterruptedException {
        int first = toInt(offset / clusterSize);
        int end = toInt(Math.min(clusters, (offset + bytes + clusterSize - 1) / clusterSize));
        lock.lock();
        try {
            while (true) {
                List<long[]> runs = new ArrayList<>();
                for (int i = todo.nextSetBit(first); i >= 0 && i < end; i = todo.nextSetBit(i)) {
                    int runEnd = Math.min(end, todo.nextClearBit(i));
                    todo.clear(i, runEnd);
                    inFlight.set(i, runEnd);
                    runs.add(new long[] {i, runEnd - i});
                    i = runEnd;
                }
                if (!runs.isEmpty()) {
                    return runs;
                }
                int busy = inFlight.nextSetBit(first);
                if (busy < 0 || busy >= end) {
                    return runs;
                }
                released.await();
            }
        } finally {
            lock.unlock();
        }
    }

    /** A claimed run is done: copied, or (failed) to be copied again. */
    public void release(long first, long count, boolean copied) {
        lock.lock();
        try {
            inFlight.clear(toInt(first), toInt(first + count));
            if (!copied) {
                todo.set(toInt(first), toInt(first + count));
            }
            released.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** The byte ranges still to copy, for bitmap-mode=always after a failure. */
    public void forEachRemaining(java.util.function.BiConsumer<Long, Long> consumer) {
        lock.lock();
        try {
            for (int i = todo.nextSetBit(0); i >= 0; i = todo.nextSetBit(i)) {
                int end = todo.nextClearBit(i);
                consumer.accept(i * clusterSize, (end - i) * clusterSize);
                i = end;
            }
        } finally {
            lock.unlock();
        }
    }

    /** Whether the cluster's old data is on the target: neither still to copy nor being copied. Hold {@link #lock()}. */
    public boolean copied(long cluster) {
        int i = toInt(cluster);
        return !todo.get(i) && !inFlight.get(i);
    }

    /** The clusters in all; the last one may be partial. */
    public long clusters() {
        return clusters;
    }

    /**
     * The lock every change of the bitmap takes: a reader that must decide
     * atomically with the copies (a snapshot read registering itself) holds it.
     */
    public ReentrantLock lock() {
        return lock;
    }

    private static int toInt(long cluster) {
        return Math.toIntExact(cluster);
    }
}
