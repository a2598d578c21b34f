package org.fleece.block.driver.qcow2;

import org.fleece.block.Perms;

import static org.fleece.block.Permission.CONSISTENT_READ;
import static org.fleece.block.Permission.RESIZE;
import static org.fleece.block.Permission.WRITE;
import static org.fleece.block.Permission.WRITE_UNCHANGED;

/** What a format asks of its backing child (QEMU's bdrv_default_perms_for_cow). */
final class Qcow2Permissions {
    private Qcow2Permissions() {
    }

    /**
     * Only consistent reads, and only when the node's users want them; the
     * backing may be written and resized by others if the node's users cope
     * with changing data (they share write), and unchanged writes are always fine.
     */
    static Perms backing(int perm, int shared) {
        int need = perm & CONSISTENT_READ.bit();
        int share = (shared & WRITE.bit()) != 0 ? WRITE.bit() | RESIZE.bit() : 0;
        share |= CONSISTENT_READ.bit() | WRITE_UNCHANGED.bit();
        return new Perms(need, share);
    }
}
