package org.fleece.block;

/**
 * An edge of the graph (QEMU's BdrvChild): a parent uses a node in a role
 * ("file", "backing", "root" for a BlockBackend) and says what it needs of the
 * node (perm) and what it lets others do meanwhile (shared). The permissions
 * change on the control thread only, through {@link PermissionUpdate}.
 */
public final class Child {
    private final BlockParent parent;
    private final String role;
    private final BlockNode node;
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

    public String role() {
        return role;
    }

    public BlockNode node() {
        return node;
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
}
