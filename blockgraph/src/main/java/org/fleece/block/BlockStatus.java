package org.fleece.block;

/**
 * What a range of a node holds, as QEMU's block-status reports it: whether
 * it reads as data or zeroes, and whether this node itself provides it.
 *
 * @param bytes how far from the queried offset this answer holds (at least 1)
 */
public record BlockStatus(long bytes, boolean data, boolean zero, boolean allocated) {
}
