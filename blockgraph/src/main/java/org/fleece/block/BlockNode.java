package org.fleece.block;

import com.fasterxml.jackson.databind.JsonNode;

import java.io.IOException;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

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
