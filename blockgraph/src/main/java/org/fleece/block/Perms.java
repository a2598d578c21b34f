package org.fleece.block;

import static org.fleece.block.Permission.ALL;
import static org.fleece.block.Permission.CONSISTENT_READ;
import static org.fleece.block.Permission.RESIZE;
import static org.fleece.block.Permission.WRITE;
import static org.fleece.block.Permission.WRITE_UNCHANGED;

/**
 * What a parent asks of one child: the permissions it needs and those it
 * shares. The factories are QEMU's default rules, which drivers start from.
 */
public record Perms(int perm, int shared) {
    /** A filter passes its parents' needs and tolerance straight down. */
    public static Perms filter(int perm, int shared) {
        return new Perms(perm & ALL, shared & ALL);
    }

    /**
     * A child that holds the node's data or metadata: metadata means the
     * driver may write on its own (so it takes write and resize while the node
     * is writable) and cannot let anyone else write or resize behind it; data
     * means its size must not change under the node, and writing it may need
     * to grow it.
     */
    public static Perms storage(int perm, int shared, boolean writable, boolean metadata, boolean data) {
        int p = perm & ALL;
        int s = shared & ALL;
        if (metadata) {
            if (writable) {
                p |= WRITE.bit() | RESIZE.bit();
            }
            p |= CONSISTENT_READ.bit();
            s &= ~(WRITE.bit() | RESIZE.bit());
        }
        if (data) {
            s &= ~RESIZE.bit();
            if ((p & WRITE_UNCHANGED.bit()) != 0) {
                p |= WRITE.bit();
            }
            if ((p & WRITE.bit()) != 0) {
                p |= RESIZE.bit();
            }
        }
        return new Perms(p, s);
    }
}
