package org.fleece.block.job;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** A job's statuses and events through success, failure, pause and cancel, and grouped transactions. */
class JobLifecycleTest {
    private final ExecutorService control = Executors.newSingleThreadExecutor();
    private final List<String> events = new ArrayList<>();
    private final JobManager jobs = new JobManager(new JobEvents() {
        @Override
        public void statusChanged(Job job) {
            events.add(job.id() + ":" + job.status().qapiName());
        }

        @Override
        public void completed(Job job) {
            events.add(job.id() + ":COMPLETED" + (job.error() == null ? "" : "(" + job.error() + ")"));
        }

        @Override
        public void cancelled(Job job) {
            events.add(job.id() + ":CANCELLED");
        }

        @Override
        public void error(Job job, boolean read, String action) {
            events.add(job.id() + ":ERROR");
        }

        @Override
        public void pending(Job job) {
            events.add(job.id() + ":PENDING");
        }
    });

    /** Runs until released, then fails if told to. */
    private final class TestJob extends Job {
        final CountDownLatch release = new CountDownLatch(1);
        final boolean fail;

        TestJob(String id, boolean autoFinalize, boolean fail) {
            super(id, autoFinalize, true, control);
            this.fail = fail;
        }

        @Override
        public String type() {
            return "backup";
        }

        @Override
        protected void run() throws IOException {
            while (!isCancelled()) {
                pausePoint();
                try {
                    if (release.await(5, TimeUnit.MILLISECONDS)) {
                        break;
                    }
                } catch (InterruptedException e) {
                    throw new IOException(e);
                }
            }
            if (fail && !isCancelled()) {
                throw new IOException("Input/output error");
            }
        }
    }

    private void onControl(Runnable r) throws Exception {
        control.submit(r).get(5, TimeUnit.SECONDS);
    }

    private void settle() throws Exception {
        for (int i = 0; i < 50; i++) {
            Thread.sleep(10);
            onControl(() -> { });
        }
    }

    @Test
    void successWithAutomaticFinalizeAndDismiss() throws Exception {
        TestJob job = new TestJob("a", true, false);
        onControl(() -> {
            jobs.register(job, null);
            job.start();
        });
        job.release.countDown();
        settle();
        assertThat(events).containsExactly("a:created", "a:running", "a:waiting", "a:pending", "a:COMPLETED",
                "a:concluded", "a:null");
        assertThat(jobs.all()).isEmpty();
    }

    @Test
    void userPauseHoldsTheEndUntilResume() throws Exception {
        TestJob job = new TestJob("p", false, false);
        onControl(() -> {
            jobs.register(job, null);
            job.start();
            job.userPause();
        });
        job.release.countDown();
        settle();
        assertThat(job.status()).isEqualTo(JobStatus.PAUSED);
        onControl(job::userResume);
        settle();
        assertThat(events).containsExactly("p:created", "p:running", "p:paused", "p:running", "p:waiting",
                "p:pending", "p:PENDING");
        onControl(job::userFinalize);
        assertThat(events.subList(7, events.size())).containsExactly("p:COMPLETED", "p:concluded", "p:null");
    }

    @Test
    void aFailedJobCancelsTheOthersOfItsGroup() throws Exception {
        JobTxn txn = new JobTxn();
        TestJob good = new TestJob("g", true, false);
        TestJob bad = new TestJob("b", true, true);
        onControl(() -> {
            jobs.register(good, txn);
            jobs.register(bad, txn);
            good.start();
            bad.start();
        });
        bad.release.countDown();
        settle();
        assertThat(events).contains("b:COMPLETED(Input/output error)", "g:CANCELLED", "g:null", "b:null");
        assertThat(events.indexOf("g:aborting")).isLessThan(events.indexOf("g:CANCELLED"));
    }

    @Test
    void aJobThatNeverStartedGoesStraightToNull() throws Exception {
        TestJob job = new TestJob("n", true, false);
        onControl(() -> {
            jobs.register(job, null);
            job.cancel(true);
        });
        assertThat(events).containsExactly("n:created", "n:aborting", "n:concluded", "n:null");
    }
}
