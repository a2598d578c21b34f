package org.fleece.block.backup;

/** What a backup does to its bitmap when it ends (QEMU's BitmapSyncMode). */
public enum BitmapMode {
    /** Cleared of what was copied if the job succeeds. */
    ON_SUCCESS,
    /** Left as it was, plus the writes during the job. */
    NEVER,
    /** Cleared of what was copied, whether the job succeeds or not. */
    ALWAYS;

    public static BitmapMode of(String qapiName) {
        return valueOf(qapiName.toUpperCase().replace('-', '_'));
    }
}
