package org.fleece.block.copy;

import java.io.IOException;

/** A copy that failed, and on which side: reading the source or writing the target (on-source/target-error). */
public final class CopyException extends Exception {
    private final boolean read;
    private final IOException error;

    CopyException(boolean read, IOException error) {
        super(error);
        this.read = read;
        this.error = error;
    }

    public boolean read() {
        return read;
    }

    public IOException error() {
        return error;
    }
}
