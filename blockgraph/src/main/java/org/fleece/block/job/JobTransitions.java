package org.fleece.block.job;

import java.util.EnumMap;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;

import static org.fleece.block.job.JobStatus.ABORTING;
import static org.fleece.block.job.JobStatus.CONCLUDED;
import static org.fleece.block.job.JobStatus.CREATED;
import static org.fleece.block.job.JobStatus.NULL;
import static org.fleece.block.job.JobStatus.PAUSED;
import static org.fleece.block.job.JobStatus.PENDING;
import static org.fleece.block.job.JobStatus.READY;
import static org.fleece.block.job.JobStatus.RUNNING;
import static org.fleece.block.job.JobStatus.STANDBY;
import static org.fleece.block.job.JobStatus.UNDEFINED;
import static org.fleece.block.job.JobStatus.WAITING;

/**
 * The one table of status changes a job may make (QEMU's JobSTT). A change
 * outside it is a bug in Fleece, never a client's mistake, so it throws.
 */
public final class JobTransitions {
    private static final Map<JobStatus, Set<JobStatus>> ALLOWED = new EnumMap<>(JobStatus.class);

    static {
        allow(UNDEFINED, CREATED);
        allow(CREATED, RUNNING, ABORTING, NULL);
        allow(RUNNING, PAUSED, READY, WAITING, ABORTING);
        allow(PAUSED, RUNNING);
        allow(READY, STANDBY, WAITING, ABORTING);
        allow(STANDBY, READY);
        allow(WAITING, PENDING, ABORTING);
        allow(PENDING, ABORTING, CONCLUDED);
        allow(ABORTING, ABORTING, CONCLUDED);
        allow(CONCLUDED, NULL);
        allow(NULL);
    }

    private JobTransitions() {
    }

    private static void allow(JobStatus from, JobStatus... to) {
        Set<JobStatus> targets = EnumSet.noneOf(JobStatus.class);
        targets.addAll(java.util.List.of(to));
        ALLOWED.put(from, targets);
    }

    public static boolean allowed(JobStatus from, JobStatus to) {
        return ALLOWED.get(from).contains(to);
    }

    static void check(JobStatus from, JobStatus to) {
        if (!allowed(from, to)) {
            throw new IllegalStateException("job status " + from.qapiName() + " cannot become " + to.qapiName());
        }
    }
}
