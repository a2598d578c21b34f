package org.fleece.block;

/**
 * Whatever uses a node through a {@link Child} edge: another node, a
 * {@link BlockBackend} (an export, qemu-io), a job. Permission errors name it.
 */
public interface BlockParent {
    /** How QEMU's permission errors name this user: "node 'r0'", "an unnamed block device", ... */
    String parentDescription();
}
