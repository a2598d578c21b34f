package org.fleece.block;

import java.io.IOException;

/**
 * Runs in the writer's thread before a write, write-zeroes or discard reaches
 * a node, and may delay it: a backup copies the old data out first
 * (copy-before-write). A failure fails the guest's request.
 */
@FunctionalInterface
public interface BeforeWrite {
    void beforeWrite(long offset, long bytes) throws IOException;
}
