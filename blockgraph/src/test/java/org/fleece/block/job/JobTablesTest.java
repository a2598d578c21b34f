package org.fleece.block.job;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
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

/** The transition and verb tables, cell by cell, against QEMU's job.c (7.2 and upstream agree). */
class JobTablesTest {
    /** QEMU's JobSTT, row by row in JobStatus order: 1 where the change is allowed. */
    private static final int[][] QEMU_TRANSITIONS = {
        /* U, C, R, P, Y, S, W, D, X, E, N */
        {0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0}, /* undefined */
        {0, 0, 1, 0, 0, 0, 0, 0, 1, 0, 1}, /* created */
        {0, 0, 0, 1, 1, 0, 1, 0, 1, 0, 0}, /* running */
        {0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0}, /* paused */
        {0, 0, 0, 0, 0, 1, 1, 0, 1, 0, 0}, /* ready */
        {0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0}, /* standby */
        {0, 0, 0, 0, 0, 0, 0, 1, 1, 0, 0}, /* waiting */
        {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 0}, /* pending */
        {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 0}, /* aborting */
        {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, /* concluded */
        {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, /* null */
    };

    @Test
    void everyTransitionIsQemus() {
        JobStatus[] all = JobStatus.values();
        for (int from = 0; from < all.length; from++) {
            for (int to = 0; to < all.length; to++) {
                assertThat(JobTransitions.allowed(all[from], all[to]))
                        .as("%s -> %s", all[from], all[to]).isEqualTo(QEMU_TRANSITIONS[from][to] == 1);
            }
        }
    }

    @Test
    void everyVerbIsAllowedWhereQemuAllowsIt() {
        assertThat(allowedIn(JobVerb.CANCEL)).containsExactlyInAnyOrder(CREATED, RUNNING, PAUSED, READY, STANDBY,
                WAITING, PENDING);
        for (JobVerb verb : List.of(JobVerb.PAUSE, JobVerb.RESUME, JobVerb.SET_SPEED)) {
            assertThat(allowedIn(verb)).as(verb.qapiName())
                    .containsExactlyInAnyOrder(CREATED, RUNNING, PAUSED, READY, STANDBY);
        }
        assertThat(allowedIn(JobVerb.COMPLETE)).containsExactlyInAnyOrder(READY, STANDBY);
        assertThat(allowedIn(JobVerb.FINALIZE)).containsExactly(PENDING);
        assertThat(allowedIn(JobVerb.DISMISS)).containsExactly(CONCLUDED);
        assertThat(allowedIn(JobVerb.CANCEL)).doesNotContain(UNDEFINED, ABORTING, CONCLUDED, NULL);
    }

    @Test
    void verbsAreNamedAsInQmp() {
        assertThat(JobVerb.SET_SPEED.qapiName()).isEqualTo("set-speed");
        assertThat(JobStatus.CONCLUDED.qapiName()).isEqualTo("concluded");
    }

    @Test
    void everyStatusButNullCanReachNull() {
        for (JobStatus status : JobStatus.values()) {
            assertThat(reachable(status)).as(status.qapiName()).contains(NULL);
        }
    }

    private static Set<JobStatus> allowedIn(JobVerb verb) {
        Set<JobStatus> set = EnumSet.noneOf(JobStatus.class);
        for (JobStatus status : JobStatus.values()) {
            if (JobVerbs.allowed(verb, status)) {
                set.add(status);
            }
        }
        return set;
    }

    private static Set<JobStatus> reachable(JobStatus from) {
        Set<JobStatus> seen = EnumSet.of(from);
        List<JobStatus> todo = new ArrayList<>(List.of(from));
        while (!todo.isEmpty()) {
            JobStatus s = todo.removeLast();
            for (JobStatus to : JobStatus.values()) {
                if (JobTransitions.allowed(s, to) && seen.add(to)) {
                    todo.add(to);
                }
            }
        }
        return seen;
    }
}
