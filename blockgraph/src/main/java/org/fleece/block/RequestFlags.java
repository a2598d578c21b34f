package org.fleece.block;

/**
 * Flags a write request carries down the graph (QEMU's BdrvRequestFlags), as
 * an int bit mask: NBD's FUA, NO_HOLE and FAST_ZERO map onto them.
 */
public final class RequestFlags {
    /** The data is on stable storage when the request completes. */
    public static final int FUA = 1;
    /** Write-zeroes may leave a hole instead of allocated zeroes. */
    public static final int MAY_UNMAP = 2;
    /** Write-zeroes must fail with ENOTSUP rather than fall back to writing zero buffers. */
    public static final int NO_FALLBACK = 4;

    private RequestFlags() {
    }

    public static boolean has(int flags, int flag) {
        return (flags & flag) != 0;
    }
}
