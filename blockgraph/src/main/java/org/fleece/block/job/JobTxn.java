package org.fleece.block.job;

import java.util.ArrayList;
import java.util.List;

/**
 * Jobs that finish together (QEMU's JobTxn): each job has one, shared by the
 * jobs of a transaction with completion-mode=grouped. They go to pending
 * together once all have run, and if one fails the others are cancelled.
 * Control thread only.
 */
public final class JobTxn {
    private final List<Job> jobs = new ArrayList<>();
    private boolean aborting;

    /** Newest first, the order in which QEMU's transaction walks its jobs. */
    void add(Job job) {
        jobs.addFirst(job);
    }

    void remove(Job job) {
        jobs.remove(job);
    }

    /** One job ran to its end successfully: all go pending once all have, and finalize unless one waits for a client. */
    void succeeded(Job job) {
        job.transition(JobStatus.WAITING);
        if (!jobs.stream().allMatch(Job::isCompleted)) {
            return;
        }
        for (Job each : List.copyOf(jobs)) {
            each.enterPending();
        }
        if (jobs.stream().allMatch(Job::autoFinalize)) {
            finalizeAll();
        }
    }

    /** job-finalize, or pending jobs that finalize themselves. */
    void finalizeAll() {
        for (Job each : List.copyOf(jobs)) {
            each.finalizeSingle();
        }
    }

    /**
     * A job failed or was cancelled: the others are cancelled too, and once
     * every worker has stopped, each job is finalized (aborted).
     */
    void abort(Job failed) {
        if (!aborting) {
            aborting = true;
            for (Job other : List.copyOf(jobs)) {
                if (other != failed) {
                    other.cancelAsync(true);
                }
            }
        }
        finishAbort();
    }

    /** Called again as each cancelled worker stops; the last one finalizes the lot. */
    void finishAbort() {
        if (!aborting || !jobs.stream().allMatch(Job::workerStopped)) {
            return;
        }
        while (!jobs.isEmpty()) {
            jobs.getFirst().finalizeSingle();
        }
    }

    boolean aborting() {
        return aborting;
    }
}
