package org.fleece.block.bitmap;

import java.util.concurrent.locks.ReentrantLock;

/**
 * A dirty bitmap of a node (QEMU's BdrvDirtyBitmap): which granules of the
 * node were written since it was created or cleared. Writes mark it from any
 * thread while it is recording; everything else happens on the control
 * thread. One lock guards the granules, held only for set operations, never
 * across I/O.
 * <p>
 * Its state besides the bits: recording (enabled), persistent, busy (a job
 * or an export uses it, so commands must leave it alone), readonly (loaded
 * from a read-only image) and inconsistent (left in use by a crash).
 */
public final class DirtyBitmap {
    /** QEMU's limit for a bitmap name (BDRV_BITMAP_MAX_NAME_SIZE). */
    public static final int MAX_NAME_LENGTH = 1023;

    private final String name;
    private final long granularity;
    private final ReentrantLock lock = new ReentrantLock();
    private Granules granules = new Granules();
    private volatile long length;
    private volatile boolean enabled = true;
    private volatile boolean persistent;
    private volatile boolean readonly;
    private volatile boolean inconsistent;
    private volatile int busy;
    /**
     * While a backup uses the bitmap (QEMU's frozen bitmap): an anonymous
     * bitmap that records the writes meanwhile, in the parent's stead.
     */
    private volatile DirtyBitmap successor;

    public DirtyBitmap(String name, long granularity, long length) {
        this.name = name;
        this.granularity = granularity;
        this.length = length;
    }

    public String name() {
        return name;
    }

    public long granularity() {
        return granularity;
    }

    /** The length in bytes of the node the bitmap describes. */
    public long length() {
        return length;
    }

    /** The number of granules: the last one may reach past the node's end. */
    long granuleCount() {
        return (length + granularity - 1) / granularity;
    }

    /** Called for every write, write-zeroes and discard that reaches the node; a disabled bitmap ignores it. */
    public void markDirty(long offset, long bytes) {
        if (enabled && bytes > 0) {
            setDirty(offset, bytes);
        }
        DirtyBitmap recorder = successor;
        if (recorder != null) {
            recorder.markDirty(offset, bytes);
        }
    }

    /** Marks the range whether recording or not (merges, tests). */
    public void setDirty(long offset, long bytes) {
        if (bytes <= 0) {
            return;
        }
        long last = Math.min(offset + bytes, length) - 1;
        if (last < offset) {
            return;
        }
        lock.lock();
        try {
            granules.add(offset / granularity, last / granularity);
        } finally {
            lock.unlock();
        }
    }

    /** Clears every granule the range covers, partially or fully (as QEMU resets whole granules). */
    public void resetDirty(long offset, long bytes) {
        if (bytes <= 0) {
            return;
        }
        lock.lock();
        try {
            granules.remove(offset / granularity, (offset + bytes - 1) / granularity);
        } finally {
            lock.unlock();
        }
    }

    public boolean isDirty(long offset) {
        lock.lock();
        try {
            long granule = offset / granularity;
            return granules.next(granule) == granule;
        } finally {
            lock.unlock();
        }
    }

    /** Dirty bytes as QEMU counts them: whole granules, the last one included in full. */
    public long count() {
        lock.lock();
        try {
            return granules.cardinality() * granularity;
        } finally {
            lock.unlock();
        }
    }

    /** The start of the first dirty granule at or after offset, or -1 when none is below the end. */
    public long nextDirty(long offset) {
        lock.lock();
        try {
            long granule = granules.next(offset / granularity);
            return granule < 0 || granule * granularity >= length ? -1 : Math.max(offset, granule * granularity);
        } finally {
            lock.unlock();
        }
    }

    /** The start of the first clean granule at or after offset (the node's length when there is none). */
    public long nextClean(long offset) {
        lock.lock();
        try {
            return Math.min(length, Math.max(offset, granules.nextAbsent(offset / granularity) * granularity));
        } finally {
            lock.unlock();
        }
    }

    /** Empties the bitmap and returns what it held, for {@link #restore}. */
    public Granules clear() {
        lock.lock();
        try {
            Granules before = granules;
            granules = new Granules();
            return before;
        } finally {
            lock.unlock();
        }
    }

    /** A copy of the bits, taken before a change that may be undone. */
    public Granules backup() {
        lock.lock();
        try {
            return granules.copy();
        } finally {
            lock.unlock();
        }
    }

    /** Puts back bits saved by {@link #clear} or {@link #backup}. */
    public void restore(Granules saved) {
        lock.lock();
        try {
            granules = saved;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Marks every range dirty in the source as dirty here (QEMU's merge): with
     * equal granularities set by set, otherwise range by range, rounded out
     * to this bitmap's granules.
     */
    public void mergeFrom(DirtyBitmap source) {
        if (source == this) {
            return;
        }
        Granules bits = source.backup();
        if (source.granularity == granularity) {
            lock.lock();
            try {
                granules.or(bits);
            } finally {
                lock.unlock();
            }
            return;
        }
        bits.forEachRun((first, last) -> setDirty(first * source.granularity,
                (last - first + 1) * source.granularity));
    }

    /** The dirty runs in order, as byte ranges clipped to the node. */
    public void forEachDirtyRange(RangeConsumer consumer) {
        backup().forEachRun((first, last) -> {
            long start = first * granularity;
            long end = Math.min(length, (last + 1) * granularity);
            if (start < end) {
                consumer.accept(start, end - start);
            }
        });
    }

    /** The node changed size: granules past the new end go, as QEMU truncates its bitmaps. */
    public void truncate(long newLength) {
        lock.lock();
        try {
            if (newLength < length) {
                granules.remove((newLength + granularity - 1) / granularity, Long.MAX_VALUE / 2);
            }
            length = newLength;
        } finally {
            lock.unlock();
        }
    }

    /** Heap bytes the bits take. */
    public long memoryBytes() {
        lock.lock();
        try {
            return granules.sizeInBytes();
        } finally {
            lock.unlock();
        }
    }

    public boolean enabled() {
        return enabled;
    }

    public void setEnabled(boolean enabled) {
        this.enabled = enabled;
    }

    public boolean persistent() {
        return persistent;
    }

    public void setPersistent(boolean persistent) {
        this.persistent = persistent;
    }

    public boolean readonly() {
        return readonly;
    }

    public void setReadonly(boolean readonly) {
        this.readonly = readonly;
    }

    public boolean inconsistent() {
        return inconsistent;
    }

    public void setInconsistent(boolean inconsistent) {
        this.inconsistent = inconsistent;
    }

    /** In use by a job, an export or a pending removal: QEMU's "busy". */
    public boolean busy() {
        return busy > 0;
    }

    public void setBusy(boolean busy) {
        this.busy += busy ? 1 : -1;
    }

    /** What query-named-block-nodes shows: enabled, or frozen with a successor that records. */
    public boolean recording() {
        DirtyBitmap recorder = successor;
        return enabled || (recorder != null && recorder.enabled);
    }

    /**
     * Freezes the bitmap for a backup (QEMU's create_successor): it stops
     * recording and is busy; a successor records in its stead, enabled as
     * the bitmap was. Control thread, with the node drained.
     */
    public void createSuccessor() {
        DirtyBitmap recorder = new DirtyBitmap(null, granularity, length);
        recorder.enabled = enabled;
        enabled = false;
        successor = recorder;
        setBusy(true);
    }

    /**
     * The backup synced the bitmap: it now holds only what the successor
     * recorded (QEMU's abdicate). The node must be drained: no write may mark
     * either meanwhile.
     */
    public void abdicate() {
        DirtyBitmap recorder = successor;
        lock.lock();
        try {
            granules = recorder.backup();
        } finally {
            lock.unlock();
        }
        enabled = recorder.enabled;
        successor = null;
        setBusy(false);
    }

    /** The backup leaves the bitmap as it was, plus what the successor recorded (QEMU's reclaim). Drained too. */
    public void reclaim() {
        DirtyBitmap recorder = successor;
        mergeFrom(recorder);
        enabled = recorder.enabled;
        successor = null;
        setBusy(false);
    }

    @FunctionalInterface
    public interface RangeConsumer {
        void accept(long offset, long bytes);
    }
}
