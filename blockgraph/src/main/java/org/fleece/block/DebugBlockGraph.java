package org.fleece.block;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * x-debug-query-block-graph: every user and node with the edges between them
 * and their permissions. QEMU numbers them as it meets them (backends, jobs,
 * then nodes oldest first, an inline child before its parent, each node's
 * children newest edge first) and
 * builds both lists by prepending, so they come out in reverse.
 */
public final class DebugBlockGraph {
    private static final JsonNodeFactory JSON = JsonNodeFactory.instance;

    private final Map<Object, Integer> ids = new IdentityHashMap<>();
    private final List<ObjectNode> nodes = new ArrayList<>();
    private final List<ObjectNode> edges = new ArrayList<>();

    private DebugBlockGraph() {
    }

    public static ObjectNode of(BlockGraph graph) {
        DebugBlockGraph dump = new DebugBlockGraph();
        Map<String, List<BlockBackend>> jobs = new java.util.LinkedHashMap<>();
        for (BlockBackend backend : graph.backends()) {
            if (backend.job()) {
                jobs.computeIfAbsent(backend.name(), name -> new ArrayList<>()).add(backend);
            } else {
                dump.node(backend, "block-backend", backend.name());
                dump.edge(backend.rootEdge(), backend);
            }
        }
        // A job is one user holding several nodes; QEMU lists its holds newest first.
        jobs.forEach((name, holds) -> {
            dump.node(holds.getFirst(), "block-job", name);
            holds.reversed().forEach(hold -> dump.edge(hold.rootEdge(), holds.getFirst()));
        });
        for (BlockNode node : graph.nodes().reversed()) {
            dump.node(node, "block-driver", node.name());
            for (Child edge : node.childEdges().reversed()) {
                dump.edge(edge, edge.parent());
            }
        }
        ObjectNode result = JSON.objectNode();
        result.set("nodes", reversed(dump.nodes));
        result.set("edges", reversed(dump.edges));
        return result;
    }

    private int id(Object vertex) {
        return ids.computeIfAbsent(vertex, v -> ids.size() + 1);
    }

    private void node(Object vertex, String type, String name) {
        ObjectNode node = JSON.objectNode();
        node.put("id", id(vertex));
        node.put("type", type);
        node.put("name", name);
        nodes.add(node);
    }

    private void edge(Child child, Object parent) {
        ObjectNode edge = JSON.objectNode();
        edge.put("parent", id(parent));
        edge.put("child", id(child.node()));
        edge.put("name", child.role());
        ArrayNode perm = edge.putArray("perm");
        Permission.qapiNames(child.perm()).forEach(perm::add);
        ArrayNode shared = edge.putArray("shared-perm");
        Permission.qapiNames(child.shared()).forEach(shared::add);
        edges.add(edge);
    }

    private static ArrayNode reversed(List<ObjectNode> list) {
        ArrayNode array = JSON.arrayNode();
        list.reversed().forEach(array::add);
        return array;
    }
}
