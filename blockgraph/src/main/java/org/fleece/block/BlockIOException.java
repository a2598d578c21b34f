package org.fleece.block;

import java.io.IOException;

/** A block request that failed with an errno, the way QEMU's block layer fails requests. */
public final class BlockIOException extends IOException {
    private final Errno errno;

    public BlockIOException(Errno errno) {
        super(errno.text(), null);
        this.errno = errno;
    }

    public Errno errno() {
        return errno;
    }
}
