package org.fleece.block;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * An edge of the graph (QEMU's BdrvChild): a parent uses a node in a role
 * ("file", "backing", "root" for a BlockBackend) and says what it needs of the
 * node (perm) and what it lets others do meanwhile (shared). The permissions
 * change on the control thread only, through {@link PermissionUpdate}.
 * <p>
 * A parent does its I/O through the edge, as QEMU's block layer does through
 * a BdrvChild, so that the graph can point the edge at another node (a filter
 * inserted above the child, blockdev-reopen) while the parent stays as it is.
 * Retargeting happens on the control thread with the nodes drained.
 */
public final class Child {
    private BlockParent parent;
    private final String role;
    private volatile BlockNode node;
    private int perm;
    private int shared = Permission.ALL;
    Child(BlockParent parent, String role, BlockNode node) {
        this.parent = parent;
        this.role = role;
        this.node = node;
    }

    public BlockParent parent() {
        return parent;
    }

    /** A driver opens its children before its own node exists: the node claims them once it does. */
    void bind(BlockParent parent) {
        this.parent = parent;
    }

    public String role() {
        return role;
    }

    public BlockNode node() {
        return node;
    }

    /**
     * Points the edge at another node. The old node must be drained: a
     * request that picked it and waits at its gate then finds the edge moved
     * once admitted, and goes to the new node instead ({@link BlockNode}'s
     * reroute), so nothing bypasses a filter just inserted. Control thread.
     */
    void retarget(BlockNode node) {
        this.node = node;
    }

    public int perm() {
        return perm;
    }

    public int shared() {
        return shared;
    }

    void setPermissions(int perm, int shared) {
        this.perm = perm;
        this.shared = shared;
    }

    public BlockDriver driver() {
        return node.driver();
    }

    public long length() throws IOException {
        return node.length();
    }

    /** A request the node admits through its gate: the node throws {@link BlockNode.Rerouted} if the edge moved. */
    @FunctionalInterface
    private interface Request<T> {
        T on(BlockNode node) throws IOException;
    }

    private <T> T admitted(Request<T> request) throws IOException {
        while (true) {
            try {
                return request.on(node);
            } catch (BlockNode.Rerouted e) {
                // The edge moved while the request waited at the old node's gate: go where it points now.
            }
        }
    }

    public void read(long offset, ByteBuffer dst) throws IOException {
        admitted(node -> {
            node.read(this, offset, dst);
            return null;
        });
    }

    public boolean readFileRegion(long offset, long length, FileRegionSink sink) throws IOException {
        return admitted(node -> node.readFileRegion(this, offset, length, sink));
    }

    public void write(long offset, ByteBuffer src) throws IOException {
        write(offset, src, 0);
    }

    public boolean writeFileRegion(long offset, long length, FileRegionSink sink) throws IOException {
        return admitted(node -> node.writeFileRegion(this, offset, length, sink));
    }

    /** See {@link BlockDriver#prepareWrites}. */
    public void prepareWrites(long offset, long length) throws IOException {
        admitted(node -> {
            node.prepareWrites(this, offset, length);
            return null;
        });
    }

    /** A write with {@link RequestFlags}. */
    public void write(long offset, ByteBuffer src, int flags) throws IOException {
        admitted(node -> {
            node.write(this, offset, src, flags);
            return null;
        });
    }

    public void writeZeroes(long offset, long bytes, int flags) throws IOException {
        admitted(node -> {
            node.writeZeroes(this, offset, bytes, flags);
            return null;
        });
    }

    public void discard(long offset, long bytes) throws IOException {
        admitted(node -> {
            node.discard(this, offset, bytes);
            return null;
        });
    }

    public void flush() throws IOException {
        node.flush();
    }

    public BlockStatus blockStatus(long offset, long bytes) throws IOException {
        return node.blockStatus(offset, bytes);
    }

    public void debugEvent(BlkdebugEvent event) {
        node.debugEvent(event);
    }
}
