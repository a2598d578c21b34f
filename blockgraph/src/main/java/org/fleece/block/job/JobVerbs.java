package org.fleece.block.job;

import org.fleece.qapi.QmpError;

import java.util.EnumMap;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;

import static org.fleece.block.job.JobStatus.CONCLUDED;
import static org.fleece.block.job.JobStatus.CREATED;
import static org.fleece.block.job.JobStatus.PAUSED;
import static org.fleece.block.job.JobStatus.PENDING;
import static org.fleece.block.job.JobStatus.READY;
import static org.fleece.block.job.JobStatus.RUNNING;
import static org.fleece.block.job.JobStatus.STANDBY;
import static org.fleece.block.job.JobStatus.WAITING;

/** The one table of verbs a job accepts in each status (QEMU's JobVerbTable), and its refusal. */
public final class JobVerbs {
    private static final Map<JobVerb, Set<JobStatus>> ALLOWED = new EnumMap<>(JobVerb.class);

    static {
        ALLOWED.put(JobVerb.CANCEL, EnumSet.of(CREATED, RUNNING, PAUSED, READY, STANDBY, WAITING, PENDING));
        ALLOWED.put(JobVerb.PAUSE, EnumSet.of(CREATED, RUNNING, PAUSED, READY, STANDBY));
        ALLOWED.put(JobVerb.RESUME, EnumSet.of(CREATED, RUNNING, PAUSED, READY, STANDBY));
        ALLOWED.put(JobVerb.SET_SPEED, EnumSet.of(CREATED, RUNNING, PAUSED, READY, STANDBY));
        ALLOWED.put(JobVerb.COMPLETE, EnumSet.of(READY, STANDBY));
        ALLOWED.put(JobVerb.FINALIZE, EnumSet.of(PENDING));
        ALLOWED.put(JobVerb.DISMISS, EnumSet.of(CONCLUDED));
    }

    private JobVerbs() {
    }

    public static boolean allowed(JobVerb verb, JobStatus status) {
        return ALLOWED.get(verb).contains(status);
    }

    static void check(Job job, JobVerb verb) {
        if (!allowed(verb, job.status())) {
            throw QmpError.generic("Job '" + job.id() + "' in state '" + job.status().qapiName()
                    + "' cannot accept command verb '" + verb.qapiName() + "'");
        }
    }
}
