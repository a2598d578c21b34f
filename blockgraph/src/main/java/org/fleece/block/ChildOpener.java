package org.fleece.block;

import com.fasterxml.jackson.databind.JsonNode;

/** How a driver gets its children while it opens: an inline definition or a node-name (BlockdevRef). */
public interface ChildOpener {
    /** A node the driver refers to without making it a child (copy-before-write's bitmap), or null. */
    BlockNode find(String name);

    /** The edge to the child; the driver does its I/O through it. */
    Child open(String role, JsonNode reference);

    /**
     * A child opened once the node itself is in the graph, as QEMU opens a
     * backing file after its image (so node lists and lock errors come out
     * in QEMU's order). {@code attach} receives the child; a failure to
     * open or attach it fails the whole blockdev-add with {@code prefix}
     * before QEMU's message.
     */
    void openLater(String role, JsonNode reference, String prefix, java.util.function.Consumer<Child> attach);
}
