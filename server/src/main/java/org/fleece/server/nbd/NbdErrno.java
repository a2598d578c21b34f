package org.fleece.server.nbd;

import org.fleece.block.BlockIOException;

import java.io.IOException;

/** The errno an NBD client sees for a failed block request; QEMU sends EINVAL for any it does not name. */
final class NbdErrno {
    private NbdErrno() {
    }

    static int of(IOException e) {
        if (!(e instanceof BlockIOException block)) {
            return Nbd.EIO;
        }
        return switch (block.errno()) {
            case EPERM -> Nbd.EPERM;
            case EIO -> Nbd.EIO;
            case ENOSPC -> Nbd.ENOSPC;
            case ENOTSUP -> Nbd.ENOTSUP;
            default -> Nbd.EINVAL;
        };
    }
}
