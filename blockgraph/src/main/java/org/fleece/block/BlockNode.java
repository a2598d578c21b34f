package org.fleece.block;

import com.fasterxml.jackson.databind.JsonNode;
import org.fleece.block.bitmap.NodeBitmaps;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A node of the block graph: a driver instance, its options, its children by
 * role and who uses it. Structure (children, parents) changes on the control
 * thread only; the driver serves I/O from any thread.
 */
public final class BlockNode implements BlockParent {
    private final String name;
    /** Marked by every write, write-zeroes and discard, failed ones too, before the request completes, as in QEMU. */
    private final NodeBitmaps bitmaps = new NodeBitmaps();
    private final BlockDriver driver;
    private final NodeOptions options;
    /** detect-zeroes: "on" or "unmap" turns writes of zero buffers into write-zeroes; null when off. */
    private final String detectZeroes;
    /** discard=unmap: discards go through, and write-zeroes may leave holes. */
    private final boolean unmap;
    private final Map<String, Child> children = new LinkedHashMap<>();
    /** Newest first, the order in which QEMU checks parents against each other. */
    private final List<Child> parents = new ArrayList<>();
    private final boolean ownedByMonitor;
    /** Requests in flight and drain state: see {@link #drainBegin()}. */
    private final ReentrantLock gate = new ReentrantLock();
    private final Condition idle = gate.newCondition();
    private final Condition admitted = gate.newCondition();
    private int inFlight;
    private int quiesced;
    private boolean closed;
    /** The end of the highest write, write-zeroes or discard so far (query-blockstats' wr_highest_offset). */
    private final AtomicLong writeHighestOffset = new AtomicLong();
    /**
     * Counts writes (failed ones too, as QEMU does); a flush records the count
     * it saw, so the next one knows whether data was written since.
     */
    private final AtomicLong writeGeneration = new AtomicLong();
    private volatile long flushedGeneration;
    /** Why operations on the node are refused (QEMU's op blockers), e.g. a job writes it; null when none. */
    private String blocker;

    BlockNode(String name, BlockDriver driver, NodeOptions options, boolean ownedByMonitor) {
        this.name = name;
        this.driver = driver;
        this.options = options;
        this.unmap = options.discard().equals("unmap");
        this.detectZeroes = options.detectZeroes().equals("off") ? null : options.detectZeroes();
        this.ownedByMonitor = ownedByMonitor;
    }

    public String name() {
        return name;
    }

    public NodeBitmaps bitmaps() {
        return bitmaps;
    }

    public BlockDriver driver() {
        return driver;
    }

    public NodeOptions options() {
        return options;
    }

    /**
     * The node's length as QEMU sees it: the driver's size rounded up to whole
     * 512-byte sectors (a 1000-byte null-co node is 1024 bytes long).
     */
    public long length() throws IOException {
        return (driver.size() + 511) & ~511L;
    }

    /**
     * The request checks QEMU's block layer makes before a driver sees a request:
     * writes to a read-only node fail with EPERM, ranges outside the node with EIO.
     * Any thread may call the I/O methods below.
     */
    private void check(long offset, long bytes, boolean write) throws IOException {
        if (write && readOnly()) {
            throw new BlockIOException(Errno.EPERM);
        }
        long length = length();
        if (offset < 0 || bytes < 0 || offset > length || length - offset < bytes) {
            throw new BlockIOException(Errno.EIO);
        }
    }

    public void read(long offset, ByteBuffer dst) throws IOException {
        read(null, offset, dst);
    }

    /** A read arriving through an edge (null: from no edge): see {@link Rerouted}. */
    void read(Child via, long offset, ByteBuffer dst) throws IOException {
        check(offset, dst.remaining(), false);
        enter(via);
        try {
            driver.read(offset, dst);
        } finally {
            leave();
        }
    }

    /** See {@link BlockDriver#completesAtOnce}. */
    public boolean completesAtOnce() {
        return driver.completesAtOnce();
    }

    /** The range as a range of a host file, if the node stores it so: see {@link BlockDriver#readFileRegion}. */
    public boolean readFileRegion(long offset, long length, FileRegionSink sink) throws IOException {
        return readFileRegion(null, offset, length, sink);
    }

    boolean readFileRegion(Child via, long offset, long length, FileRegionSink sink) throws IOException {
        check(offset, length, false);
        enter(via);
        try {
            return driver.readFileRegion(offset, length, sink);
        } finally {
            leave();
        }
    }

    public void write(long offset, ByteBuffer src) throws IOException {
        write(null, offset, src, 0);
    }

    public void write(long offset, ByteBuffer src, int flags) throws IOException {
        write(null, offset, src, flags);
    }

    /**
     * A write with {@link RequestFlags}: FUA. Writes fire pwritev (pwritev_zero)
     * and pwritev_done on the node written, as QEMU's request path does.
     */
    void write(Child via, long offset, ByteBuffer src, int flags) throws IOException {
        check(offset, src.remaining(), true);
        if (detectZeroes != null && isZero(src)) {
            int length = src.remaining();
            writeZeroes(via, offset, length, flags | (detectZeroes.equals("unmap") ? RequestFlags.MAY_UNMAP : 0));
            src.position(src.limit());
            return;
        }
        long end = offset + src.remaining();
        enter(via);
        try {
            driver.debugEvent(BlkdebugEvent.PWRITEV);
            driver.write(offset, src);
        } finally {
            driver.debugEvent(BlkdebugEvent.PWRITEV_DONE);
            bitmaps.markDirty(offset, end - offset);
            writeGeneration.incrementAndGet();
            leave();
        }
        writeHighestOffset.accumulateAndGet(end, Math::max);
        forceUnitAccess(flags);
    }

    /** See {@link BlockDriver#prepareWrites}. */
    void prepareWrites(Child via, long offset, long length) throws IOException {
        check(offset, length, true);
        enter(via);
        try {
            driver.prepareWrites(offset, length);
        } finally {
            leave();
        }
    }

    /** The host file range that stores the range, for the sink to fill: see {@link BlockDriver#writeFileRegion}. */
    public boolean writeFileRegion(long offset, long length, FileRegionSink sink) throws IOException {
        return writeFileRegion(null, offset, length, sink);
    }

    /**
     * The host file range that stores the node's range, for the sink to fill:
     * see {@link BlockDriver#writeFileRegion}. It counts as a write (bitmaps,
     * statistics) only when the driver had such a range.
     */
    boolean writeFileRegion(Child via, long offset, long length, FileRegionSink sink) throws IOException {
        check(offset, length, true);
        enter(via);
        boolean done = false;
        try {
            // No blkdebug events: a blkdebug node has no file range, so the caller's ordinary write fires them.
            done = driver.writeFileRegion(offset, length, sink);
        } finally {
            if (done && length > 0) {
                bitmaps.markDirty(offset, length);
                writeGeneration.incrementAndGet();
            }
            leave();
        }
        if (done) {
            writeHighestOffset.accumulateAndGet(offset + length, Math::max);
        }
        return done;
    }

    /** Write-zeroes with {@link RequestFlags}: MAY_UNMAP, NO_FALLBACK, FUA. */
    public void writeZeroes(long offset, long bytes, int flags) throws IOException {
        writeZeroes(null, offset, bytes, flags);
    }

    void writeZeroes(Child via, long offset, long bytes, int flags) throws IOException {
        check(offset, bytes, true);
        if (!unmap) {
            flags &= ~RequestFlags.MAY_UNMAP;
        }
        enter(via);
        try {
            driver.debugEvent(BlkdebugEvent.PWRITEV_ZERO);
            driver.writeZeroes(offset, bytes, flags);
        } finally {
            driver.debugEvent(BlkdebugEvent.PWRITEV_DONE);
            bitmaps.markDirty(offset, bytes);
            writeGeneration.incrementAndGet();
            leave();
        }
        writeHighestOffset.accumulateAndGet(offset + bytes, Math::max);
        forceUnitAccess(flags);
    }

    private static boolean isZero(ByteBuffer buffer) {
        int i = buffer.position();
        int end = buffer.limit();
        for (; i + 8 <= end; i += 8) {
            if (buffer.getLong(i) != 0) {
                return false;
            }
        }
        for (; i < end; i++) {
            if (buffer.get(i) != 0) {
                return false;
            }
        }
        return true;
    }

    /**
     * No driver writes through on its own, so FUA is kept the way QEMU keeps
     * it for such drivers: a flush of the node once the write is done.
     */
    private void forceUnitAccess(int flags) throws IOException {
        if (RequestFlags.has(flags, RequestFlags.FUA)) {
            flush();
        }
    }

    /**
     * Without discard=unmap the node drops discards as QEMU does, before
     * anything sees them: they reach no driver and dirty no bitmap.
     */
    public void discard(long offset, long bytes) throws IOException {
        discard(null, offset, bytes);
    }

    void discard(Child via, long offset, long bytes) throws IOException {
        check(offset, bytes, true);
        if (!unmap) {
            return;
        }
        enter(via);
        try {
            driver.discard(offset, bytes);
        } finally {
            bitmaps.markDirty(offset, bytes);
            writeGeneration.incrementAndGet();
            leave();
        }
        writeHighestOffset.accumulateAndGet(offset + bytes, Math::max);
    }

    /** Blocks operations on the node for a reason ("block device is in use by block job: backup"). Control thread. */
    public void block(String reason) {
        blocker = reason;
    }

    public void unblock() {
        blocker = null;
    }

    /** The reason operations are refused, or null. */
    public String blocker() {
        return blocker;
    }

    /**
     * Thrown to an edge whose request waited at this node's gate while the
     * graph pointed the edge elsewhere (a filter inserted, blockdev-reopen):
     * the request has not started, and the edge sends it to the new node.
     */
    static final class Rerouted extends RuntimeException {
        private static final Rerouted INSTANCE = new Rerouted();

        private Rerouted() {
            super(null, null, false, false);
        }
    }

    /** Admits a request, waiting while the node is drained; a node closed meanwhile fails it. */
    private void enter(Child via) throws IOException {
        gate.lock();
        try {
            while (quiesced > 0 && !closed) {
                admitted.awaitUninterruptibly();
            }
            if (via != null && via.node() != this) {
                throw Rerouted.INSTANCE;
            }
            if (closed) {
                throw new BlockIOException(Errno.EIO);
            }
            inFlight++;
        } finally {
            gate.unlock();
        }
    }

    private void leave() {
        gate.lock();
        try {
            if (--inFlight == 0) {
                idle.signalAll();
            }
        } finally {
            gate.unlock();
        }
    }

    /**
     * Stops admitting requests and waits until those in flight are done, so a
     * graph change sees a node nobody is reading or writing (QEMU's
     * bdrv_drained_begin). Control thread only; it waits for I/O, as QEMU's
     * main loop does while it drains. Pair with {@link #drainEnd()}.
     */
    void drainBegin() {
        gate.lock();
        try {
            quiesced++;
            while (inFlight > 0) {
                idle.awaitUninterruptibly();
            }
        } finally {
            gate.unlock();
        }
    }

    void drainEnd() {
        gate.lock();
        try {
            if (--quiesced == 0) {
                admitted.signalAll();
            }
        } finally {
            gate.unlock();
        }
    }

    /** The node is gone: requests waiting at the gate fail instead of waiting forever. */
    void markClosed() {
        gate.lock();
        try {
            closed = true;
            admitted.signalAll();
        } finally {
            gate.unlock();
        }
    }

    /** How much from offset (within bytes) is data or zeroes; see {@link BlockStatus}. */
    public BlockStatus blockStatus(long offset, long bytes) throws IOException {
        check(offset, bytes, false);
        return driver.blockStatus(offset, bytes);
    }

    /** Which layer of this node's chain provides the range from offset; see {@link AllocationDepth}. */
    public AllocationDepth allocationDepth(long offset, long bytes) throws IOException {
        check(offset, bytes, false);
        return AllocationDepth.of(this, offset, bytes);
    }

    /**
     * cache.no-flush makes flushes succeed without reaching the disk, as in
     * QEMU. The primary child hears flush_to_os on every flush, and
     * flush_to_disk when there was a write since the last flush: the events
     * QEMU fires, which blkdebug state machines count on.
     */
    public void flush() throws IOException {
        if (readOnly()) {
            return;
        }
        long generation = writeGeneration.get();
        BlockNode primary = primaryChild();
        if (primary != null) {
            primary.debugEvent(BlkdebugEvent.FLUSH_TO_OS);
        }
        if (!options.cacheNoFlush()) {
            if (primary != null && flushedGeneration != generation) {
                primary.debugEvent(BlkdebugEvent.FLUSH_TO_DISK);
            }
            driver.flush();
        }
        flushedGeneration = generation;
    }

    /** A blkdebug event reached this node (QEMU's bdrv_debug_event). */
    public void debugEvent(BlkdebugEvent event) {
        driver.debugEvent(event);
    }

    /** The child QEMU keeps as this node's file; null if there is none. */
    public BlockNode primaryChild() {
        Child edge = children.get(driver.primaryChildRole());
        return edge == null ? null : edge.node();
    }

    /**
     * The next level down QEMU's chain walks take (bdrv_filter_or_cow_bs): a
     * filter's filtered child, otherwise the backing node; null at the bottom.
     */
    public BlockNode filteredOrBackingChild() {
        BlockNode primary = driver.isFilter() ? primaryChild() : null;
        return primary != null ? primary : children().get("backing");
    }

    public long writeHighestOffset() {
        return writeHighestOffset.get();
    }

    public boolean readOnly() {
        return options.readOnly();
    }

    /** Added by blockdev-add (not created inline as someone's child): only such nodes may be deleted. */
    public boolean ownedByMonitor() {
        return ownedByMonitor;
    }

    /** The child nodes by role. */
    public Map<String, BlockNode> children() {
        Map<String, BlockNode> nodes = new LinkedHashMap<>();
        children.forEach((role, edge) -> nodes.put(role, edge.node()));
        return nodes;
    }

    /** The edges to the children, in the order they were attached. */
    public List<Child> childEdges() {
        return List.copyOf(children.values());
    }

    /** The edges from the users of this node, newest first. */
    public List<Child> parents() {
        return Collections.unmodifiableList(parents);
    }

    /** Whether a BlockBackend (an export, a job, qemu-io) uses the node directly: QEMU's bdrv_has_blk. */
    public boolean hasBackend() {
        return parents.stream().anyMatch(edge -> edge.parent() instanceof BlockBackend backend && !backend.job());
    }

    /** Links an edge into both ends; {@link PermissionUpdate} then settles its permissions. */
    static void link(Child edge) {
        if (edge.parent() instanceof BlockNode parent) {
            parent.children.put(edge.role(), edge);
        }
        edge.node().parents.addFirst(edge);
    }

    /** Moves an edge from its node to another; the parent keeps it in the same role and place. */
    static void move(Child edge, BlockNode to) {
        edge.node().parents.remove(edge);
        edge.retarget(to);
        to.parents.addFirst(edge);
    }

    static void unlink(Child edge) {
        if (edge.parent() instanceof BlockNode parent) {
            parent.children.remove(edge.role(), edge);
        }
        edge.node().parents.remove(edge);
    }

    @Override
    public String parentDescription() {
        return "node '" + name + "'";
    }

    /** The options as given, for "json:{...}" file names. */
    public JsonNode given() {
        return options.given();
    }
}
