package org.fleece.block.job;

/** QEMU's JobStatus, in QEMU's order (the transition table is indexed by it). */
public enum JobStatus {
    UNDEFINED, CREATED, RUNNING, PAUSED, READY, STANDBY, WAITING, PENDING, ABORTING, CONCLUDED, NULL;

    public String qapiName() {
        return name().toLowerCase();
    }
}
