package org.fleece.block;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.fleece.qapi.QmpError;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * blockdev-reopen: each entry names a node and gives its options anew. What
 * Fleece changes is where the node's children point (a child given by the
 * node-name of another node): the way to put a copy-before-write filter
 * between a format node and its file while an export uses the format node.
 * A child given inline stands for the node's current child with those
 * options. Every other option must stay as it is; QEMU's error names the
 * first one that does not. All entries take effect together or not at all.
 */
final class NodeReopen {
    private final BlockGraph graph;
    private final List<Child> edges = new ArrayList<>();
    private final List<BlockNode> targets = new ArrayList<>();

    private NodeReopen(BlockGraph graph) {
        this.graph = graph;
    }

    static void reopen(BlockGraph graph, List<JsonNode> entries) {
        NodeReopen reopen = new NodeReopen(graph);
        for (JsonNode entry : entries) {
            if (!entry.has("node-name")) {
                throw QmpError.generic("node-name not specified");
            }
            String name = entry.get("node-name").asText();
            BlockNode node = graph.find(name);
            if (node == null) {
                throw QmpError.generic("Failed to find node with node-name='" + name + "'");
            }
            reopen.plan(node, entry, "");
        }
        if (!reopen.edges.isEmpty()) {
            graph.moveEdges(reopen.edges, reopen.targets);
        }
    }

    private void plan(BlockNode node, JsonNode entry, String prefix) {
        JsonNode given = node.given();
        if (!entry.path("driver").equals(given.path("driver"))) {
            throw cannotChange(prefix + "driver");
        }
        for (Child edge : node.childEdges()) {
            JsonNode reference = entry.get(edge.role());
            if (reference == null) {
                continue;
            }
            if (reference.isTextual()) {
                planMove(node, edge, reference.asText());
            } else if (reference.isObject()) {
                plan(edge.node(), reference, prefix + edge.role() + ".");
            } else {
                throw cannotChange(prefix + edge.role());
            }
        }
        compareOptions(node, given, entry, prefix);
    }

    private void planMove(BlockNode parent, Child edge, String name) {
        BlockNode target = graph.find(name);
        if (target == null) {
            throw QmpError.generic("Cannot find device='' nor node-name='" + name + "'");
        }
        if (target == edge.node()) {
            return;
        }
        if (BlockGraph.subtree(target).contains(parent)) {
            throw QmpError.generic("Making '" + name + "' a " + edge.role() + " child of '" + parent.name()
                    + "' would create a cycle");
        }
        edges.add(edge);
        targets.add(target);
    }

    /** The options besides the children, as given at blockdev-add, must come back unchanged. */
    private static void compareOptions(BlockNode node, JsonNode given, JsonNode entry, String prefix) {
        ObjectNode before = withoutChildren(node, given);
        ObjectNode after = withoutChildren(node, entry);
        for (Iterator<String> names = union(before, after); names.hasNext(); ) {
            String option = names.next();
            if (!before.path(option).equals(after.path(option))) {
                throw cannotChange(prefix + option);
            }
        }
    }

    private static ObjectNode withoutChildren(BlockNode node, JsonNode options) {
        ObjectNode copy = ((ObjectNode) options).deepCopy();
        node.childEdges().forEach(edge -> copy.remove(edge.role()));
        copy.remove("backing");
        return copy;
    }

    private static Iterator<String> union(ObjectNode a, ObjectNode b) {
        java.util.Set<String> names = new java.util.LinkedHashSet<>();
        a.fieldNames().forEachRemaining(names::add);
        b.fieldNames().forEachRemaining(names::add);
        return names.iterator();
    }

    private static QmpError cannotChange(String option) {
        return QmpError.generic("Cannot change the option '" + option + "'");
    }
}
