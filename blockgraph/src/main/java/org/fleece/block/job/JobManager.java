package org.fleece.block.job;

import org.fleece.block.NodeName;
import org.fleece.qapi.ErrorClass;
import org.fleece.qapi.QmpError;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Every job by id, from creation until dismissed (QEMU's job list), and the
 * lookups the job-* and block-job-* commands make. Control thread only.
 */
public final class JobManager {
    private final Map<String, Job> jobs = new LinkedHashMap<>();
    private final JobEvents events;
    /** Jobs started inside the current drained section, paused until it ends. */
    private final List<Job> drained = new ArrayList<>();

    public JobManager(JobEvents events) {
        this.events = events;
    }

    JobEvents events() {
        return events;
    }

    /** QEMU's checks on a new job's id, before anything is built for it. */
    public void checkNewId(String id) {
        if (!NodeName.wellFormed(id)) {
            throw QmpError.generic("Invalid job ID '" + id + "'");
        }
        if (jobs.containsKey(id)) {
            throw QmpError.generic("Job ID '" + id + "' already in use");
        }
    }

    /** Registers a job (status created) in a transaction of its own, or the given one. */
    public void register(Job job, JobTxn txn) {
        checkNewId(job.id());
        jobs.put(job.id(), job);
        job.created(this, txn == null ? new JobTxn() : txn);
    }

    /**
     * A job started inside a drained section (a transaction) is paused at
     * once, as QEMU's jobs are by the drained nodes they use.
     */
    public void startDrained(Job job) {
        job.start();
        job.pause();
        drained.add(job);
    }

    /** The drained section ended: its jobs resume, newest first as QEMU's drain end reaches them. */
    public void drainEnd() {
        for (Job job : drained.reversed()) {
            job.resume();
        }
        drained.clear();
    }

    void remove(Job job) {
        jobs.remove(job.id(), job);
    }

    /** Newest first, as query-jobs lists them. */
    public List<Job> all() {
        List<Job> list = new ArrayList<>(jobs.values());
        Collections.reverse(list);
        return list;
    }

    /** The job-* commands' lookup. */
    public Job find(String id) {
        Job job = jobs.get(id);
        if (job == null) {
            throw QmpError.generic("Job not found");
        }
        return job;
    }

    /** The block-job-* commands' lookup: jobs that are not block jobs (create) are not found there. */
    public Job findBlockJob(String id) {
        Job job = jobs.get(id);
        if (job == null || !job.blockJob()) {
            throw new QmpError(ErrorClass.DeviceNotActive, "Block job '" + id + "' not found");
        }
        return job;
    }
}
