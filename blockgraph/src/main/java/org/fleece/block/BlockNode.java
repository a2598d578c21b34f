package org.fleece.block;

import com.fasterxml.jackson.databind.JsonNode;

import java.io.IOException;
import java.nio.ByteBuffer;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A node of the block graph: a driver instance, its options, its children by
 * role and who uses it. Structure (children, parents) changes on the control
 * thread only; the driver serves I/O from any thread.
 */
public final class BlockNode {
    /** An edge from a parent: which node uses this one, in which role ("file", "backing", ...). */
    public record Parent(BlockNode node, String role) {
    }

    private final String name;
    private final BlockDriver driver;
    private final NodeOptions options;
    private final Map<String, BlockNode> children = new LinkedHashMap<>();
    private final List<Parent> parents = new ArrayList<>();
    private final boolean ownedByMonitor;
    /** The end of the highest write, write-zeroes or discard so far (query-blockstats' wr_highest_offset). */
    private final AtomicLong writeHighestOffset = new AtomicLong();

    BlockNode(String name, BlockDriver driver, NodeOptions options, boolean ownedByMonitor) {
        this.name = name;
        this.driver = driver;
        this.options = options;
        this.ownedByMonitor = ownedByMonitor;
    }

    public String name() {
        return name;
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
        if (offset < 0 || bytes < 0 || offset > length() || length() - offset < bytes) {
            throw new BlockIOException(Errno.EIO);
        }
    }

    public void read(long offset, ByteBuffer dst) throws IOException {
        check(offset, dst.remaining(), false);
        driver.read(offset, dst);
    }

    public void write(long offset, ByteBuffer src) throws IOException {
        check(offset, src.remaining(), true);
        long end = offset + src.remaining();
        driver.write(offset, src);
        writeHighestOffset.accumulateAndGet(end, Math::max);
    }

    public void writeZeroes(long offset, long bytes, boolean mayUnmap) throws IOException {
        check(offset, bytes, true);
        driver.writeZeroes(offset, bytes, mayUnmap);
        writeHighestOffset.accumulateAndGet(offset + bytes, Math::max);
    }

    public void discard(long offset, long bytes) throws IOException {
        check(offset, bytes, true);
        driver.discard(offset, bytes);
        writeHighestOffset.accumulateAndGet(offset + bytes, Math::max);
    }

    /** How much from offset (within bytes) is data or zeroes; see {@link BlockStatus}. */
    public BlockStatus blockStatus(long offset, long bytes) throws IOException {
        check(offset, bytes, false);
        return driver.blockStatus(offset, bytes);
    }

    public void flush() throws IOException {
        driver.flush();
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

    public Map<String, BlockNode> children() {
        return Collections.unmodifiableMap(children);
    }

    public List<Parent> parents() {
        return Collections.unmodifiableList(parents);
    }

    void attach(String role, BlockNode child) {
        children.put(role, child);
        child.parents.add(new Parent(this, role));
    }

    void detachChildren() {
        for (Map.Entry<String, BlockNode> child : children.entrySet()) {
            child.getValue().parents.removeIf(p -> p.node() == this && p.role().equals(child.getKey()));
        }
        children.clear();
    }

    /** The options as given, for "json:{...}" file names. */
    public JsonNode given() {
        return options.given();
    }
}
