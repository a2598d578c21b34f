package org.fleece.block.job;

/** What a client may ask of a job (QEMU 7.2's JobVerb), checked against {@link JobVerbs}. */
public enum JobVerb {
    CANCEL, PAUSE, RESUME, SET_SPEED, COMPLETE, FINALIZE, DISMISS;

    public String qapiName() {
        return name().toLowerCase().replace('_', '-');
    }
}
