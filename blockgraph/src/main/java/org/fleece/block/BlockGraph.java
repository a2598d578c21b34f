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
        List<Child> edges = new ArrayList<>();
        List<Runnable> later = new ArrayList<>();
        BlockNode[] self = new BlockNode[1];
        ChildOpener childOpener = new ChildOpener() {
            @Override
            public BlockNode find(String name) {
                return nodes.get(name);
            }

            @Override
            public Child open(String role, JsonNode reference) {
                // QEMU's block layer opens a node's "file" child before the node
                // and registers the node before its driver opens any other child
                // (blkdebug's "image"): queries list nodes in that order.
                if (!role.equals("file")) {
                    nodes.putIfAbsent(nodeName, null);
                }
                BlockNode child = reference.isTextual() ? existing(reference.asText())
                        : BlockGraph.this.open(reference, base, false, created);
                Child edge = new Child(null, role, child);
                edges.add(edge);
                return edge;
            }

            @Override
            public void openLater(String role, JsonNode reference, String prefix,
                                  java.util.function.Consumer<Child> attach) {
                later.add(() -> {
                    try {
                        BlockNode child = reference.isTextual() ? existing(reference.asText())
                                : BlockGraph.this.open(reference, base, false, created);
                        Child edge = new Child(self[0], role, child);
                        attach.accept(edge);
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
        edges.forEach(edge -> edge.bind(node));
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
        driver.attachBitmaps(node);
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

    /**
     * Opens a filter over {@code below} (its options name below as file) and
     * puts it in below's place for every user (QEMU's bdrv_insert_node), or
     * changes nothing. {@code prepare} sees the driver before the filter
     * takes below's users. A job's copy-before-write filter goes in this way.
     */
    public BlockNode insertFilter(JsonNode options, BlockNode below, java.util.function.Consumer<BlockDriver> prepare) {
        List<BlockNode> created = new ArrayList<>();
        BlockNode filter;
        try {
            filter = open(options, null, false, created);
        } catch (RuntimeException e) {
            for (int i = created.size() - 1; i >= 0; i--) {
                discard(created.get(i));
            }
            throw e;
        }
        try {
            prepare.accept(filter.driver());
            replaceNode(below, filter);
        } catch (RuntimeException e) {
            discard(filter);
            throw e;
        }
        return filter;
    }

    /** Gives a filter's users back to the node below it and closes the filter. */
    public void removeFilter(BlockNode filter) {
        replaceNode(filter, filter.primaryChild());
        discard(filter);
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
     * Puts {@code to} in the place of {@code from} for every user of
     * {@code from} except {@code to} itself (QEMU's bdrv_replace_node): how a
     * filter goes in above a node, or out again. All or nothing: on a
     * permission conflict every edge points where it did. Control thread.
     */
    public void replaceNode(BlockNode from, BlockNode to) {
        List<Child> moving = from.parents().stream().filter(edge -> edge.parent() != to).toList();
        moveEdges(moving, java.util.Collections.nCopies(moving.size(), to));
    }

    /**
     * Points each edge at its new node with the graph drained, then settles
     * permissions; on failure the edges go back and the error stands.
     */
    void moveEdges(List<Child> edges, List<BlockNode> targets) {
        List<BlockNode> old = edges.stream().map(Child::node).toList();
        // Both ends settle: a node that lost its users (a filter going out) may now share what it guarded.
        List<BlockNode> affected = new ArrayList<>(old);
        affected.addAll(targets);
        drainedAll(() -> {
            for (int i = 0; i < edges.size(); i++) {
                BlockNode.move(edges.get(i), targets.get(i));
            }
            try {
                new PermissionUpdate().refresh(distinct(affected));
            } catch (RuntimeException e) {
                for (int i = 0; i < edges.size(); i++) {
                    BlockNode.move(edges.get(i), old.get(i));
                }
                new PermissionUpdate().refreshLoosened(distinct(affected));
                throw e;
            }
        });
    }

    /** blockdev-reopen: see {@link NodeReopen}. */
    public void reopen(List<JsonNode> entries) {
        NodeReopen.reopen(this, entries);
    }

    private static List<BlockNode> distinct(List<BlockNode> nodes) {
        return nodes.stream().distinct().toList();
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

    static List<BlockNode> subtree(BlockNode node) {
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

    /**
     * Closes every node as the daemon exits (QEMU's bdrv_close_all), each
     * after the nodes that use it, so that formats write back what they
     * keep in memory (persistent bitmaps, cached tables) through children
     * that are still open. Everything is drained first and stays so: requests
     * waiting at a node fail once it is closed.
     */
    public void closeAll() {
        List<BlockNode> open = new ArrayList<>(nodes.values().stream().filter(node -> node != null).toList());
        open.forEach(BlockNode::drainBegin);
        while (!open.isEmpty()) {
            List<BlockNode> unused = open.stream().filter(node -> node.parents().stream()
                    .noneMatch(edge -> edge.parent() instanceof BlockNode parent && open.contains(parent))).toList();
            for (BlockNode node : unused.isEmpty() ? List.copyOf(open) : unused) {
                node.markClosed();
                closeQuietly(node.driver());
                open.remove(node);
            }
        }
        nodes.clear();
    }

    private static void closeQuietly(BlockDriver driver) {
        try {
            driver.close();
        } catch (IOException e) {
            // QEMU does not report errors on close either; the node is gone regardless.
        }
    }
}
