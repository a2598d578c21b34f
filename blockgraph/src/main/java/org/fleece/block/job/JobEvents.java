package org.fleece.block.job;

/**
 * What jobs tell clients (JOB_STATUS_CHANGE and the BLOCK_JOB_* events).
 * Called on the control thread, in the order the events must go out.
 */
public interface JobEvents {
    void statusChanged(Job job);

    /** BLOCK_JOB_COMPLETED, with the job's error if it failed. */
    void completed(Job job);

    void cancelled(Job job);

    /** BLOCK_JOB_ERROR: operation "read" or "write", action "report", "ignore" or "stop". */
    void error(Job job, boolean read, String action);

    /** BLOCK_JOB_PENDING, for jobs that wait for job-finalize. */
    void pending(Job job);
}
