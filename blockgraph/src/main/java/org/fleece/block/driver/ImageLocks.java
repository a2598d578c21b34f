package org.fleece.block.driver;

import org.fleece.block.Permission;
import org.fleece.block.PosixFiles;
import org.fleece.qapi.QmpError;

import java.io.IOException;

/**
 * QEMU's image locking for the file driver, so that QEMU's tools and Fleece
 * respect each other: while users of the node hold a permission, byte
 * 100 + bit of the file is locked (shared); while they refuse to share one,
 * byte 200 + bit. Taking a permission first checks that nobody else refuses
 * to share it, and refusing one checks that nobody else holds it. Locks
 * follow the node's permissions only, so an unused node locks nothing.
 * Called from the permission update on the control thread.
 */
final class ImageLocks {
    private static final int PERM_BASE = 100;
    private static final int SHARED_BASE = 200;

    private final int fd;
    private final String filename;
    /** The permissions committed last: what the node holds and refuses to share. */
    private int perm;
    private int unshared;
    /** The bytes locked now: during an update, the union of old and new. */
    private int lockedPerm;
    private int lockedUnshared;

    ImageLocks(int fd, String filename) {
        this.fd = fd;
        this.filename = filename;
    }

    /** Locks what the new permissions need besides the old, then checks other holders; on failure back to the old. */
    void prepare(int newPerm, int newShared) {
        int newUnshared = ~newShared & Permission.ALL;
        if ((perm | newPerm) == perm && (unshared | newUnshared) == unshared) {
            return;
        }
        try {
            apply(perm | newPerm, unshared | newUnshared, false);
            try {
                check(newPerm, newUnshared);
            } catch (QmpError e) {
                throw e.withHint("Is another process using the image [" + filename + "]?\n");
            }
        } catch (RuntimeException e) {
            applyQuietly(perm, unshared);
            throw e;
        }
    }

    void commit(int newPerm, int newShared) {
        perm = newPerm;
        unshared = ~newShared & Permission.ALL;
        applyQuietly(perm, unshared);
    }

    void abort() {
        applyQuietly(perm, unshared);
    }

    private void apply(int wantPerm, int wantUnshared, boolean unlock) {
        for (Permission p : Permission.values()) {
            lockedPerm = update(PERM_BASE, p, lockedPerm, wantPerm, unlock);
            lockedUnshared = update(SHARED_BASE, p, lockedUnshared, wantUnshared, unlock);
        }
    }

    private int update(int base, Permission p, int locked, int wanted, boolean unlock) {
        int bit = p.bit();
        try {
            if ((wanted & bit) != 0 && (locked & bit) == 0) {
                PosixFiles.lockByte(fd, base + p.ordinal(), true);
                return locked | bit;
            }
            if (unlock && (locked & bit) != 0 && (wanted & bit) == 0) {
                PosixFiles.lockByte(fd, base + p.ordinal(), false);
                return locked & ~bit;
            }
            return locked;
        } catch (IOException e) {
            throw QmpError.generic("Failed to " + ((wanted & bit) != 0 ? "lock" : "unlock") + " byte "
                    + (base + p.ordinal()));
        }
    }

    /** Unlocking cannot meaningfully fail; QEMU ignores it there too. */
    private void applyQuietly(int wantPerm, int wantUnshared) {
        try {
            apply(wantPerm, wantUnshared, true);
        } catch (QmpError e) {
            // The lock stays until the descriptor closes.
        }
    }

    private void check(int newPerm, int newUnshared) {
        for (Permission p : Permission.values()) {
            if ((newPerm & p.bit()) != 0 && lockedElsewhere(SHARED_BASE + p.ordinal())) {
                throw QmpError.generic("Failed to get \"" + Permission.describe(p.bit()) + "\" lock");
            }
        }
        for (Permission p : Permission.values()) {
            if ((newUnshared & p.bit()) != 0 && lockedElsewhere(PERM_BASE + p.ordinal())) {
                throw QmpError.generic("Failed to get shared \"" + Permission.describe(p.bit()) + "\" lock");
            }
        }
    }

    private boolean lockedElsewhere(int offset) {
        try {
            return PosixFiles.byteLockedElsewhere(fd, offset);
        } catch (IOException e) {
            throw QmpError.generic("Failed to get lock byte " + offset);
        }
    }
}
