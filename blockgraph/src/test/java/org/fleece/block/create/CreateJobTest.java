package org.fleece.block.create;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import org.fleece.block.BlockGraph;
import org.fleece.block.ImageCreator;
import org.fleece.block.job.Job;
import org.fleece.block.job.JobEvents;
import org.fleece.block.job.JobManager;
import org.fleece.block.job.JobStatus;
import org.fleece.qapi.ErrorClass;
import org.fleece.qapi.QmpError;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/** The create job: QEMU's statuses and nothing of a block job's events, its error, its one unit of progress. */
class CreateJobTest {
    private final ExecutorService control = Executors.newSingleThreadExecutor();
    private final List<String> events = new ArrayList<>();
    private final JobManager jobs = new JobManager(new JobEvents() {
        @Override
        public void statusChanged(Job job) {
            events.add(job.status().qapiName());
        }

        @Override
        public void completed(Job job) {
            events.add("BLOCK_JOB_COMPLETED");
        }

        @Override
        public void cancelled(Job job) {
            events.add("BLOCK_JOB_CANCELLED");
        }

        @Override
        public void error(Job job, boolean read, String action) {
            events.add("BLOCK_JOB_ERROR");
        }

        @Override
        public void pending(Job job) {
            events.add("BLOCK_JOB_PENDING");
        }
    });

    @AfterEach
    void stop() {
        control.shutdownNow();
    }

    private CreateJob start(ImageCreator creator) throws Exception {
        CreateJob job = new CreateJob("create-x", new BlockGraph(), creator, JsonNodeFactory.instance.objectNode(),
                control);
        control.submit(() -> {
            jobs.register(job, null);
            job.start();
        }).get(5, TimeUnit.SECONDS);
        for (int i = 0; i < 500 && job.status() != JobStatus.CONCLUDED; i++) {
            Thread.sleep(10);
        }
        return job;
    }

    @Test
    void successConcludesAndWaitsForDismiss() throws Exception {
        AtomicReference<Thread> stepThread = new AtomicReference<>();
        Thread controlThread = control.submit(Thread::currentThread).get();
        CreateJob job = start((options, context) -> context.onControlThread(() -> {
            stepThread.set(Thread.currentThread());
            return null;
        }));
        assertThat(events).containsExactly("created", "running", "waiting", "pending", "concluded");
        assertThat(stepThread.get()).isSameAs(controlThread);
        assertThat(job.error()).isNull();
        assertThat(job.currentProgress()).isEqualTo(1);
        assertThat(job.totalProgress()).isEqualTo(1);
        QmpError notBlockJob = catchThrowableOfType(QmpError.class, () -> jobs.findBlockJob("create-x"));
        assertThat(notBlockJob.errorClass()).isEqualTo(ErrorClass.DeviceNotActive);
        control.submit(job::userDismiss).get(5, TimeUnit.SECONDS);
        assertThat(events).endsWith("null");
        assertThat(jobs.all()).isEmpty();
    }

    @Test
    void aCreatorsErrorIsTheJobsError() throws Exception {
        CreateJob job = start((options, context) -> context.onControlThread(() -> {
            throw QmpError.generic("Cannot find device='x' nor node-name='x'");
        }));
        assertThat(events).containsExactly("created", "running", "aborting", "concluded");
        assertThat(job.error()).isEqualTo("Cannot find device='x' nor node-name='x'");
        assertThat(job.currentProgress()).isEqualTo(1);
    }
}
