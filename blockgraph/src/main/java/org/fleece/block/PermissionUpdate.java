package org.fleece.block;

import org.fleece.qapi.QmpError;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One change of permissions across the graph, all or nothing (QEMU's
 * permission refresh): after an edge is added, removed or asks for something
 * new, the nodes below it are visited parents before children; each checks
 * its users against each other, lets its driver take what it needs (image
 * locks) and recomputes what it asks of its own children. If any step fails,
 * every edge gets its old permissions back and every driver undoes what it
 * took. Control thread only.
 */
final class PermissionUpdate {
    private static final int WRITERS = Permission.WRITE.bit() | Permission.WRITE_UNCHANGED.bit();

    private final Map<Child, Perms> previous = new LinkedHashMap<>();
    private final List<BlockNode> prepared = new ArrayList<>();
    private final List<Perms> preparedWith = new ArrayList<>();

    /** Gives an edge new permissions, to be kept only if {@link #refresh} succeeds. */
    PermissionUpdate set(Child edge, int perm, int shared) {
        previous.putIfAbsent(edge, new Perms(edge.perm(), edge.shared()));
        edge.setPermissions(perm, shared);
        return this;
    }

    /** Settles the nodes and everything below them; on failure nothing has changed and the error says why. */
    void refresh(List<BlockNode> starts) {
        try {
            for (BlockNode node : topologicalOrder(starts)) {
                settle(node);
            }
        } catch (RuntimeException e) {
            previous.forEach((edge, perms) -> edge.setPermissions(perms.perm(), perms.shared()));
            for (int i = prepared.size() - 1; i >= 0; i--) {
                prepared.get(i).driver().abortPermissions();
            }
            throw e;
        }
        for (int i = 0; i < prepared.size(); i++) {
            prepared.get(i).driver().commitPermissions(preparedWith.get(i).perm(), preparedWith.get(i).shared());
        }
    }

    /** Relaxing permissions cannot conflict; a driver that fails to let go of a lock is not worth an error. */
    void refreshLoosened(List<BlockNode> starts) {
        try {
            refresh(starts);
        } catch (QmpError e) {
            // As QEMU, which ignores errors when permissions only shrink.
        }
    }

    private void settle(BlockNode node) {
        checkParents(node);
        int perm = 0;
        int shared = Permission.ALL;
        for (Child edge : node.parents()) {
            perm |= edge.perm();
            shared &= edge.shared();
        }
        if ((perm & WRITERS) != 0 && node.readOnly()) {
            throw QmpError.generic("Block node is read-only");
        }
        node.driver().preparePermissions(perm, shared);
        prepared.add(node);
        preparedWith.add(new Perms(perm, shared));
        for (Child edge : node.childEdges()) {
            Perms wanted = node.driver().childPermissions(edge.role(), !node.readOnly(), perm, shared,
                    !node.parents().isEmpty());
            set(edge, wanted.perm(), edge.node().options().forceShare() ? Permission.ALL : wanted.shared());
        }
    }

    /** Every user of the node against every other, newest first, as QEMU compares them. */
    private static void checkParents(BlockNode node) {
        for (Child a : node.parents()) {
            for (Child b : node.parents()) {
                int denied = b.perm() & ~a.shared();
                if (a != b && denied != 0) {
                    throw QmpError.generic("Permission conflict on node '" + node.name() + "': permissions '"
                            + Permission.describe(denied) + "' are both required by " + user(b) + " and unshared by "
                            + user(a) + ".");
                }
            }
        }
    }

    private static String user(Child edge) {
        return edge.parent().parentDescription() + " (uses node '" + edge.node().name() + "' as '" + edge.role()
                + "' child)";
    }

    /** Each node before the nodes below it (reverse post-order, as QEMU sorts them). */
    private static List<BlockNode> topologicalOrder(List<BlockNode> starts) {
        List<BlockNode> order = new ArrayList<>();
        Set<BlockNode> found = new HashSet<>();
        for (BlockNode start : starts) {
            visit(start, found, order);
        }
        return order.reversed();
    }

    private static void visit(BlockNode node, Set<BlockNode> found, List<BlockNode> order) {
        if (found.add(node)) {
            for (Child edge : node.childEdges()) {
                visit(edge.node(), found, order);
            }
            order.add(node);
        }
    }
}
