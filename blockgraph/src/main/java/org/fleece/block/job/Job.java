package org.fleece.block.job;

import org.fleece.block.Errno;
import org.fleece.qapi.QmpError;

import java.io.IOException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A long-running operation with QEMU's job life cycle. Its status, verbs and
 * events change on the control thread only; its work ({@link #run}) runs on a
 * virtual thread of its own, which meets the control thread's wishes (pause,
 * cancel, speed) at {@link #pausePoint} and {@link #awaitSpeed}.
 * <p>
 * Pausing is synchronous: the status says paused as soon as the pause counter
 * rises, the worker stops at its next pause point, and a worker that ends
 * while paused has its end handled on resume, so a paused job never moves on.
 */
public abstract class Job {
    private final String id;
    private final boolean autoFinalize;
    private final boolean autoDismiss;
    private final Executor control;
    private JobManager manager;
    private JobTxn txn;
    private JobStatus status = JobStatus.UNDEFINED;

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition wake = lock.newCondition();
    /** QEMU's pause_count: user pauses, error stops and drained sections each hold one. */
    private int pauseCount;
    private volatile boolean cancelled;

    private boolean userPaused;
    private boolean started;
    /** The worker's end has been handled (QEMU's deferred_to_main_loop). */
    private boolean finished;
    /** A worker that ended while the job was paused: handled on resume. */
    private Throwable endedWhilePaused;
    private boolean endedPaused;
    private String error;

    private final AtomicLong current = new AtomicLong();
    private final AtomicLong total = new AtomicLong();
    private final RateLimit limit = new RateLimit();
    private volatile long speed;
    private volatile boolean busy;
    private volatile IoStatus ioStatus = IoStatus.OK;

    /** query-block-jobs' io-status: whether an error stopped the job. */
    public enum IoStatus {
        OK, FAILED, NOSPACE;

        public String qapiName() {
            return name().toLowerCase();
        }
    }

    protected Job(String id, boolean autoFinalize, boolean autoDismiss, Executor control) {
        this.id = id;
        this.autoFinalize = autoFinalize;
        this.autoDismiss = autoDismiss;
        this.control = control;
    }

    /** QEMU's JobType name. */
    public abstract String type();

    /**
     * Block jobs (backup) are also seen through query-block-jobs, the
     * block-job-* commands and the BLOCK_JOB_* events; other jobs (create) only through job-*.
     */
    public boolean blockJob() {
        return true;
    }

    /** The work, on the job's own thread; throws to fail the job. Returns early once cancelled. */
    protected abstract void run() throws IOException;

    /** The job succeeded: make its result the truth. Control thread. */
    protected void commit() {
    }

    /** The job failed or was cancelled. Control thread. */
    protected void abort() {
    }

    /** After commit or abort: let go of nodes and bitmaps. Control thread. */
    protected void clean() {
    }

    public String id() {
        return id;
    }

    public JobStatus status() {
        return status;
    }

    public boolean autoFinalize() {
        return autoFinalize;
    }

    public boolean autoDismiss() {
        return autoDismiss;
    }

    public String error() {
        return error;
    }

    public long currentProgress() {
        return current.get();
    }

    public long totalProgress() {
        return total.get();
    }

    public long speed() {
        return speed;
    }

    public boolean busy() {
        return busy && status == JobStatus.RUNNING;
    }

    public boolean paused() {
        return pauseCount > 0;
    }

    public boolean userPaused() {
        return userPaused;
    }

    public IoStatus ioStatus() {
        return ioStatus;
    }

    public boolean isCancelled() {
        return cancelled;
    }

    /** QEMU's job_is_completed: it ran to its end (or was never going to run). */
    boolean isCompleted() {
        return switch (status) {
            case WAITING, PENDING, ABORTING, CONCLUDED, NULL -> true;
            default -> false;
        };
    }

    boolean workerStopped() {
        return !started || finished;
    }

    /** Registration by the manager: the job exists and says so. */
    void created(JobManager manager, JobTxn txn) {
        this.manager = manager;
        this.txn = txn;
        txn.add(this);
        transition(JobStatus.CREATED);
    }

    void transition(JobStatus to) {
        JobTransitions.check(status, to);
        JobStatus from = status;
        status = to;
        if (from != to) {
            manager.events().statusChanged(this);
        }
    }

    // ---- life cycle, control thread ----

    /** Starts the worker (QEMU's job_start). */
    public void start() {
        started = true;
        busy = true;
        transition(JobStatus.RUNNING);
        Thread.ofVirtual().name("job-" + id).start(this::work);
    }

    private void work() {
        Throwable failure = null;
        try {
            run();
        } catch (Throwable t) {
            failure = t;
        }
        Throwable end = failure;
        busy = false;
        control.execute(() -> workerEnded(end));
    }

    private void workerEnded(Throwable failure) {
        if (pauseCount > 0 && !cancelled && !txn.aborting()) {
            endedPaused = true;
            endedWhilePaused = failure;
            return;
        }
        finished = true;
        if (failure != null && error == null) {
            error = failure instanceof IOException io ? Errno.describe(io) : String.valueOf(failure.getMessage());
        }
        if (txn.aborting()) {
            txn.finishAbort();
            return;
        }
        completed();
    }

    /** QEMU's job_completed: success waits for the transaction, failure aborts it. */
    private void completed() {
        updateResult();
        if (error == null) {
            txn.succeeded(this);
        } else {
            txn.abort(this);
        }
    }

    private void updateResult() {
        if (error == null && cancelled) {
            error = "Operation canceled";
        }
        if (error != null) {
            transition(JobStatus.ABORTING);
        }
    }

    void enterPending() {
        transition(JobStatus.PENDING);
        if (!autoFinalize) {
            manager.events().pending(this);
        }
    }

    /** QEMU's job_finalize_single: commit or abort, clean, tell, conclude. */
    void finalizeSingle() {
        updateResult();
        if (error == null) {
            commit();
        } else {
            abort();
        }
        clean();
        if (started && blockJob()) {
            if (cancelled) {
                manager.events().cancelled(this);
            } else {
                manager.events().completed(this);
            }
        }
        txn.remove(this);
        transition(JobStatus.CONCLUDED);
        if (autoDismiss || !started) {
            dismissNow();
        }
    }

    private void dismissNow() {
        transition(JobStatus.NULL);
        manager.remove(this);
    }

    /** QEMU's job_pause: the worker stops at its next pause point. */
    public void pause() {
        lock.lock();
        try {
            pauseCount++;
            wake.signalAll();
        } finally {
            lock.unlock();
        }
        if (pauseCount == 1 && started && !finished) {
            if (status == JobStatus.RUNNING) {
                transition(JobStatus.PAUSED);
            } else if (status == JobStatus.READY) {
                transition(JobStatus.STANDBY);
            }
        }
    }

    /** QEMU's job_resume. */
    public void resume() {
        lock.lock();
        try {
            if (pauseCount == 0) {
                return;
            }
            pauseCount--;
            wake.signalAll();
        } finally {
            lock.unlock();
        }
        if (pauseCount > 0) {
            return;
        }
        if (status == JobStatus.PAUSED) {
            transition(JobStatus.RUNNING);
        } else if (status == JobStatus.STANDBY) {
            transition(JobStatus.READY);
        }
        if (endedPaused) {
            endedPaused = false;
            workerEnded(endedWhilePaused);
        }
    }

    /** QEMU's job_cancel_async: a forced cancel also lifts a user pause. */
    void cancelAsync(boolean force) {
        if (userPaused) {
            userPaused = false;
            resume();
        }
        lock.lock();
        try {
            cancelled = true;
            wake.signalAll();
        } finally {
            lock.unlock();
        }
        if (endedPaused && txn.aborting()) {
            endedPaused = false;
            workerEnded(endedWhilePaused);
        }
    }

    /** QEMU's job_cancel. */
    public void cancel(boolean force) {
        cancelAsync(force);
        if (!started) {
            completed();
        } else if (finished && !txn.aborting()) {
            txn.abort(this);
        } else if (endedPaused) {
            endedPaused = false;
            workerEnded(endedWhilePaused);
        }
    }

    // ---- client verbs, control thread ----

    public void userPause() {
        JobVerbs.check(this, JobVerb.PAUSE);
        if (userPaused) {
            throw QmpError.generic("Job is already paused");
        }
        userPaused = true;
        pause();
    }

    public void userResume() {
        if (!userPaused) {
            throw QmpError.generic("Can't resume a job that was not paused");
        }
        JobVerbs.check(this, JobVerb.RESUME);
        ioStatus = IoStatus.OK;
        userPaused = false;
        resume();
    }

    public void userCancel(boolean force) {
        JobVerbs.check(this, JobVerb.CANCEL);
        cancel(force);
    }

    /** Jobs that have a completion step (mirror) override this; others refuse. */
    public void userComplete() {
        JobVerbs.check(this, JobVerb.COMPLETE);
        throw QmpError.generic("The active block job '" + id + "' cannot be completed");
    }

    public void userFinalize() {
        JobVerbs.check(this, JobVerb.FINALIZE);
        txn.finalizeAll();
    }

    public void userDismiss() {
        JobVerbs.check(this, JobVerb.DISMISS);
        dismissNow();
    }

    public void setSpeed(long bytesPerSecond) {
        JobVerbs.check(this, JobVerb.SET_SPEED);
        applySpeed(bytesPerSecond);
    }

    /** Speed given at creation or later; negative speeds are a client error in QEMU's words. */
    public void applySpeed(long bytesPerSecond) {
        if (bytesPerSecond < 0) {
            throw QmpError.generic("Parameter 'speed' expects a non-negative value");
        }
        speed = bytesPerSecond;
        limit.setSpeed(bytesPerSecond);
        lock.lock();
        try {
            wake.signalAll();
        } finally {
            lock.unlock();
        }
    }

    // ---- the worker's side ----

    /** Waits while the job is paused; returns at once when cancelled. */
    protected final void pausePoint() {
        lock.lock();
        try {
            if (pauseCount == 0 || cancelled) {
                return;
            }
            busy = false;
            while (pauseCount > 0 && !cancelled) {
                wake.awaitUninterruptibly();
            }
            busy = true;
        } finally {
            lock.unlock();
        }
    }

    /** For jobs that only react to others (backup with sync=none): idles until cancelled. */
    protected final void awaitCancel() {
        lock.lock();
        try {
            busy = false;
            while (!cancelled) {
                wake.awaitUninterruptibly();
            }
        } finally {
            lock.unlock();
        }
    }

    /** The job failed before it was ever started (a bad speed): it goes away at once, as QEMU's job_early_fail. */
    public void earlyFail() {
        txn.remove(this);
        dismissNow();
    }

    /**
     * Reserves a chunk of that many bytes under the speed limit: 0 when it
     * may go now, else how long to wait before asking again (QEMU counts what
     * a task really copies, so the caller asks once it knows the size).
     */
    protected final long reserveSpeed(long bytes) {
        return limit.reserve(bytes, System.nanoTime());
    }

    /** Waits for the speed limit, woken early by a pause, a cancel or a new speed; a pause point too. */
    protected final void awaitSpeed(long nanos) {
        sleep(nanos);
        pausePoint();
    }

    /** Sleeps, woken early by a pause, a cancel or a new speed. */
    private void sleep(long nanos) {
        lock.lock();
        try {
            busy = false;
            long deadline = System.nanoTime() + nanos;
            long startSpeed = speed;
            while (!cancelled && pauseCount == 0 && speed == startSpeed) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    break;
                }
                try {
                    wake.awaitNanos(left);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
            busy = true;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Runs a step that belongs to the control thread (graph lookups, taking
     * and releasing nodes) from the job's worker and waits for it; a QMP
     * error it throws comes back as it was.
     */
    protected final <T> T runOnControlThread(java.util.function.Supplier<T> step) {
        try {
            return java.util.concurrent.CompletableFuture.supplyAsync(step, control).join();
        } catch (java.util.concurrent.CompletionException e) {
            if (e.getCause() instanceof RuntimeException failure) {
                throw failure;
            }
            throw e;
        }
    }

    protected final void progress(long bytes) {
        current.addAndGet(bytes);
    }

    protected final void setTotal(long bytes) {
        total.set(bytes);
    }

    protected final void addTotal(long bytes) {
        total.addAndGet(bytes);
    }

    /** What a job does about an I/O error (QEMU's block_job_error_action); the job then acts on the answer. */
    public enum ErrorAction {
        REPORT, IGNORE, STOP
    }

    /**
     * Decides on an I/O error by the job's policy (report, ignore, stop,
     * enospc), tells the client with BLOCK_JOB_ERROR and, for stop, pauses the
     * job as if the user had; the worker then waits at its pause point.
     */
    protected final ErrorAction errorAction(String onError, boolean read, IOException failure) {
        boolean noSpace = failure instanceof org.fleece.block.BlockIOException e && e.errno() == Errno.ENOSPC;
        ErrorAction action = switch (onError) {
            case "ignore" -> ErrorAction.IGNORE;
            case "stop" -> ErrorAction.STOP;
            case "enospc", "auto" -> noSpace ? ErrorAction.STOP : ErrorAction.REPORT;
            default -> ErrorAction.REPORT;
        };
        try {
            java.util.concurrent.CompletableFuture.runAsync(() -> {
                if (!cancelled) {
                    manager.events().error(this, read, action.name().toLowerCase());
                }
                if (action == ErrorAction.STOP) {
                    if (!userPaused) {
                        userPaused = true;
                        pause();
                    }
                    ioStatus = noSpace ? IoStatus.NOSPACE : IoStatus.FAILED;
                }
            }, control).get(1, TimeUnit.DAYS);
        } catch (Exception e) {
            throw new IllegalStateException("the control thread did not take the job's error", e);
        }
        return action;
    }
}
