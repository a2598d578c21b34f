package org.fleece.block;

import com.fasterxml.jackson.databind.JsonNode;
import org.fleece.block.driver.Drivers;
import org.fleece.qapi.QmpError;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Every node by name, and the rules for adding and deleting them. Owned by the
 * control thread: nothing here is called from anywhere else.
 * <p>
 * The rule for graph changes lives here: a change to a node first drains it and
 * the nodes below it ({@link #drained}), so no request is half-way through a
 * node while it changes; requests that arrive meanwhile wait at the node's gate.
 */
public final class BlockGraph {
    /**
     * Registration order; queries list the newest first, as QEMU does. A node
     * being opened may hold its place with null.
     */
    private final Map<String, BlockNode> nodes = new LinkedHashMap<>();
    /** Names of nodes being opened: QEMU names a node before it opens its children. */
    private final Set<String> opening = new HashSet<>();
    /** Oldest first, as x-debug-query-block-graph meets them. */
    private final List<BlockBackend> backends = new ArrayList<>();

    public BlockNode find(String name) {
        return nodes.get(name);
    }

    boolean nameTaken(String name) {
        return nodes.containsKey(name) || opening.contains(name);
    }

    /** Newest first. */
    public List<BlockNode> nodes() {
        List<BlockNode> list = new ArrayList<>(nodes.values());
        Collections.reverse(list);
        return list;
    }

    /**
     * blockdev-add: opens the node and any inline children, all or nothing:
     * if any part fails, what was opened is closed again and the graph is as before.
     */
    public BlockNode add(JsonNode options) {
        if (!options.has("node-name")) {
            throw QmpError.generic("'node-name' must be specified for the root node");
        }
        List<BlockNode> created = new ArrayList<>();
        try {
            return open(options, null, true, created);
        } catch (RuntimeException e) {
            for (int i = created.size() - 1; i >= 0; i--) {
                discard(created.get(i));
            }
            throw e;
        }
    }

    private BlockNode open(JsonNode options, NodeOptions parent, boolean ownedByMonitor, List<BlockNode> created) {
        String name = options.has("node-name") ? options.get("node-name").asText() : null;
        if (name != null) {
            NodeName.check(name, this);
            opening.add(name);
        }
        try {
            return openNamed(name, options, parent, ownedByMonitor, created);
        } finally {
            opening.remove(name);
        }
    }

    private BlockNode openNamed(String name, JsonNode options, NodeOptions parent, boolean ownedByMonitor,
                                List<BlockNode> created) {
        NodeOptions base = NodeOptions.of(options, parent);
        String nodeName = name != null ? name : NodeName.generate();
        Map<String, BlockNode> children = new LinkedHashMap<>();
        List<Runnable> later = new ArrayList<>();
        BlockNode[] self = new BlockNode[1];
        ChildOpener childOpener = new ChildOpener() {
            @Override
            public BlockNode open(String role, JsonNode reference) {
                // QEMU's block layer opens a node's "file" child before the node
                // and registers the node before its driver opens any other child
                // (blkdebug's "image"): queries list nodes in that order.
                if (!role.equals("file")) {
                    nodes.putIfAbsent(nodeName, null);
                }
                BlockNode child = reference.isTextual() ? existing(reference.asText())
                        : BlockGraph.this.open(reference, base, false, created);
                children.put(role, child);
                return child;
            }

            @Override
            public void openLater(String role, JsonNode reference, String prefix,
                                  java.util.function.Consumer<BlockNode> attach) {
                later.add(() -> {
                    try {
                        BlockNode child = reference.isTextual() ? existing(reference.asText())
                                : BlockGraph.this.open(reference, base, false, created);
                        attach.accept(child);
                        Child edge = new Child(self[0], role, child);
                        BlockNode.link(edge);
                        try {
                            new PermissionUpdate().refresh(List.of(self[0]));
                        } catch (RuntimeException e) {
                            BlockNode.unlink(edge);
                            throw e;
                        }
                    } catch (QmpError e) {
                        throw QmpError.generic(prefix + e.getMessage());
                    }
                });
            }
        };
        BlockDriver driver;
        try {
            driver = Drivers.open(options.get("driver").asText(), options, base, childOpener);
        } catch (RuntimeException e) {
            nodes.remove(nodeName, null);
            throw e;
        }
        BlockNode node = new BlockNode(nodeName, driver, base, ownedByMonitor);
        List<Child> edges = new ArrayList<>();
        children.forEach((role, child) -> edges.add(new Child(node, role, child)));
        edges.forEach(BlockNode::link);
        try {
            new PermissionUpdate().refresh(List.of(node));
        } catch (RuntimeException e) {
            edges.forEach(BlockNode::unlink);
            closeQuietly(driver);
            nodes.remove(nodeName, null);
            throw e;
        }
        nodes.put(node.name(), node);
        created.add(node);
        self[0] = node;
        later.forEach(Runnable::run);
        return node;
    }

    /**
     * A node a command uses for a while (QEMU's bdrv_open_blockdev_ref): an
     * existing node by name, or one opened from inline options, which
     * {@link #releaseReference} closes again.
     */
    public BlockNode openReference(JsonNode reference) {
        if (reference.isTextual()) {
            return existing(reference.asText());
        }
        List<BlockNode> created = new ArrayList<>();
        try {
            return open(reference, null, false, created);
        } catch (RuntimeException e) {
            for (int i = created.size() - 1; i >= 0; i--) {
                discard(created.get(i));
            }
            throw e;
        }
    }

    /** The command is done with a node from {@link #openReference}: one it opened itself goes away. */
    public void releaseReference(BlockNode node) {
        if (!node.ownedByMonitor() && node.parents().isEmpty()) {
            discard(node);
        }
    }

    private BlockNode existing(String reference) {
        BlockNode node = nodes.get(reference);
        if (node == null) {
            throw QmpError.generic("Cannot find device='" + reference + "' nor node-name='" + reference + "'");
        }
        return node;
    }

    /**
     * Puts a BlockBackend on the node: a user outside the graph (an export,
     * a job, qemu-io) with the permissions it needs and those it shares. On a
     * permission conflict or a refused image lock, QEMU's error and no change.
     */
    public BlockBackend attachBackend(BlockNode node, String name, int perm, int shared) {
        return BlockBackend.attach(this, name, node, perm, shared);
    }

    /** A job's hold on a node: the job's own permissions, in a role ("main node", "target"). */
    public BlockBackend attachJob(BlockNode node, String jobId, String role, int perm, int shared) {
        return BlockBackend.attachJob(this, jobId, role, node, perm, shared);
    }

    /** QEMU's checks on the name of a node about to be created, for nodes a command makes (a job's filter). */
    public void checkNewNodeName(String name) {
        NodeName.check(name, this);
    }

    void registerBackend(BlockBackend backend) {
        backends.add(backend);
    }

    void unregisterBackend(BlockBackend backend) {
        backends.remove(backend);
    }

    /** Oldest first. */
    public List<BlockBackend> backends() {
        return List.copyOf(backends);
    }

    /** block_resize: finds the node by device or node-name, as QEMU does, and resizes it. */
    public void resize(String device, String nodeName, long size) {
        BlockNode node = nodeName != null ? nodes.get(nodeName) : null;
        if (node == null) {
            throw QmpError.generic("Cannot find device='" + (device == null ? "" : device) + "' nor node-name='"
                    + (nodeName == null ? "" : nodeName) + "'");
        }
        if (size < 0) {
            throw QmpError.generic("Parameter 'size' expects a >0 size");
        }
        // Like QEMU, resize as a user that needs the permission, so whoever refuses to share it (an export) wins.
        BlockBackend resizer = attachBackend(node, "", Permission.RESIZE.bit(), Permission.ALL);
        try {
            List<BlockNode> subtree = subtree(node);
            drained(subtree, () -> {
                try {
                    node.driver().truncate(size);
                    // The nodes below may have changed size too; their bitmaps follow, as in QEMU.
                    for (BlockNode changed : subtree) {
                        changed.bitmaps().truncate(changed.length());
                    }
                } catch (IOException e) {
                    throw QmpError.generic("Could not resize: " + Errno.describe(e));
                }
            });
        } finally {
            resizer.detach();
        }
    }

    /**
     * quit: what nodes still keep in memory (qcow2 tables written since the
     * last flush) reaches the disk, parents before the nodes below them, as
     * QEMU flushes every node when it shuts down. A failure is no reason to
     * stay up; QEMU ignores it there too.
     */
    public void flushAll() {
        for (BlockNode node : nodes()) {
            try {
                node.flush();
            } catch (IOException e) {
                // Nothing left to tell: the daemon is on its way out.
            }
        }
    }

    /** Runs a change with every node drained: no request is in flight anywhere until it is done. */
    public void drainedAll(Runnable change) {
        drained(nodes(), change);
    }

    /** Runs a change with the nodes drained (a node and everything below it: {@link #subtree}). */
    private static void drained(List<BlockNode> nodes, Runnable change) {
        nodes.forEach(BlockNode::drainBegin);
        try {
            change.run();
        } finally {
            nodes.forEach(BlockNode::drainEnd);
        }
    }

    private static List<BlockNode> subtree(BlockNode node) {
        List<BlockNode> subtree = new ArrayList<>();
        collect(node, subtree);
        return subtree;
    }

    private static void collect(BlockNode node, List<BlockNode> into) {
        if (!into.contains(node)) {
            into.add(node);
            node.children().values().forEach(child -> collect(child, into));
        }
    }

    /** blockdev-del, with QEMU's checks in QEMU's order. */
    public void delete(String name) {
        BlockNode node = nodes.get(name);
        if (node == null) {
            throw QmpError.generic("Failed to find node with node-name='" + name + "'");
        }
        if (node.hasBackend()) {
            throw QmpError.generic("Node " + name + " is in use");
        }
        if (node.blocker() != null) {
            throw QmpError.generic("Node '" + name + "' is busy: " + node.blocker());
        }
        if (!node.ownedByMonitor()) {
            throw QmpError.generic("Node " + name + " is not owned by the monitor");
        }
        if (!node.parents().isEmpty()) {
            throw QmpError.generic("Block device " + name + " is in use");
        }
        discard(node);
    }

    /** Unregisters and closes a node; inline children nobody else uses go with it. */
    private void discard(BlockNode node) {
        if (nodes.get(node.name()) != node) {
            return;
        }
        List<BlockNode> children = new ArrayList<>(node.children().values());
        drained(subtree(node), () -> {
            node.markClosed();
            node.childEdges().forEach(BlockNode::unlink);
            new PermissionUpdate().refreshLoosened(children);
            nodes.remove(node.name(), node);
            closeQuietly(node.driver());
        });
        for (BlockNode child : children) {
            if (!child.ownedByMonitor() && child.parents().isEmpty()) {
                discard(child);
            }
        }
    }

    private static void closeQuietly(BlockDriver driver) {
        try {
            driver.close();
        } catch (IOException e) {
            // QEMU does not report errors on close either; the node is gone regardless.
        }
    }
}
