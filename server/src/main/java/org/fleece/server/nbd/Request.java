package org.fleece.server.nbd;

import java.nio.ByteBuffer;

/**
 * One transmission request as it came off the wire; a write carries its payload.
 * Offsets are unsigned 64-bit on the wire and kept as read; length is unsigned 32-bit.
 */
record Request(int flags, int type, long handle, long offset, long length, ByteBuffer payload) {
    static final int HEADER_SIZE = 28;

    boolean has(int flag) {
        return (flags & flag) != 0;
    }

    /** The range ends past the export, or wraps around 2^64. */
    boolean pastEnd(long size) {
        return Long.compareUnsigned(offset, size) > 0 || length > size - offset;
    }
}
