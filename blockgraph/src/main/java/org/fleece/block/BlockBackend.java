package org.fleece.block;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;

/**
 * A user of a node from outside the graph (QEMU's BlockBackend): an export,
 * a job, HMP's qemu-io. It holds the node through a "root" edge with the
 * permissions it needs, so nobody can take them away or delete the node
 * meanwhile, and it is the door its owner's I/O goes through.
 * Attach, change and detach on the control thread; I/O from any thread.
 */
public final class BlockBackend implements BlockParent {
    private final BlockGraph graph;
    private final String name;
    private final Child root;
    /** A job's hold on a node (QEMU's job child, named by its role): it makes no node "in use" as devices do. */
    private final boolean job;
    private boolean attached = true;

    private BlockBackend(BlockGraph graph, String name, BlockNode node, String role, boolean job) {
        this.graph = graph;
        this.name = name;
        this.job = job;
        this.root = new Child(this, role, node);
    }

    /** Attaches a backend to the node with what it needs and shares; on a conflict nothing changes. */
    static BlockBackend attach(BlockGraph graph, String name, BlockNode node, int perm, int shared) {
        return attach(new BlockBackend(graph, name, node, "root", false), perm, shared);
    }

    /** A job's hold on a node, in a role ("main node", "target"). */
    static BlockBackend attachJob(BlockGraph graph, String jobId, String role, BlockNode node, int perm, int shared) {
        return attach(new BlockBackend(graph, jobId, node, role, true), perm, shared);
    }

    private static BlockBackend attach(BlockBackend backend, int perm, int shared) {
        BlockGraph graph = backend.graph;
        BlockNode node = backend.root.node();
        BlockNode.link(backend.root);
        try {
            new PermissionUpdate().set(backend.root, perm, shared).refresh(List.of(node));
        } catch (RuntimeException e) {
            BlockNode.unlink(backend.root);
            throw e;
        }
        graph.registerBackend(backend);
        return backend;
    }

    /** Asks for other permissions; on a conflict the old ones stay. */
    public void setPermissions(int perm, int shared) {
        new PermissionUpdate().set(root, perm, shared).refresh(List.of(root.node()));
    }

    public int perm() {
        return root.perm();
    }

    public int shared() {
        return root.shared();
    }

    /** Lets go of the node; what the backend held is released for others. */
    public void detach() {
        if (attached) {
            attached = false;
            BlockNode.unlink(root);
            graph.unregisterBackend(this);
            new PermissionUpdate().refreshLoosened(List.of(root.node()));
        }
    }

    public BlockNode node() {
        return root.node();
    }

    /** The backend's name, "" for the anonymous ones exports and qemu-io use. */
    public String name() {
        return name;
    }

    public Child rootEdge() {
        return root;
    }

    public boolean job() {
        return job;
    }

    @Override
    public String parentDescription() {
        if (job) {
            return "node '" + name + "'";
        }
        return name.isEmpty() ? "an unnamed block device" : "block device '" + name + "'";
    }

    public void read(long offset, ByteBuffer dst) throws IOException {
        root.read(offset, dst);
    }

    /** Hands the range to the sink as a range of a host file, or false: then {@link #read} it. */
    public boolean readFileRegion(long offset, long length, FileRegionSink sink) throws IOException {
        return root.readFileRegion(offset, length, sink);
    }

    /** A write with {@link RequestFlags}: FUA. */
    public void write(long offset, ByteBuffer src, int flags) throws IOException {
        root.write(offset, src, flags);
    }

    /** Write-zeroes with {@link RequestFlags}: MAY_UNMAP, NO_FALLBACK, FUA. */
    public void writeZeroes(long offset, long bytes, int flags) throws IOException {
        root.writeZeroes(offset, bytes, flags);
    }

    public void discard(long offset, long bytes) throws IOException {
        root.discard(offset, bytes);
    }

    public void flush() throws IOException {
        root.flush();
    }

    public BlockStatus blockStatus(long offset, long bytes) throws IOException {
        return root.blockStatus(offset, bytes);
    }

    public AllocationDepth allocationDepth(long offset, long bytes) throws IOException {
        return root.node().allocationDepth(offset, bytes);
    }

    public long length() throws IOException {
        return root.length();
    }
}
