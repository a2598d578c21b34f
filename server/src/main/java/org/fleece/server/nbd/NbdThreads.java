package org.fleece.server.nbd;

import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The platform threads NBD servers accept, negotiate and serve requests on,
 * kept for a while once idle: libvirt and Proxmox start and stop the server
 * around every backup, and a new thread for each acceptor and client cost
 * more than the rest of the cycle. Platform threads, because a virtual thread
 * would put a client's socket in non-blocking mode for good, and sendfile
 * cannot wait on such a socket (see {@link Transmission}).
 * <p>
 * A thread is back among the idle ones before whoever waits for its task
 * hears that it ended, so a server started right after another stopped
 * reuses its threads instead of adding some (an executor's pool signals
 * first and may be found busy for a moment).
 */
final class NbdThreads {
    private static final long KEEP_IDLE_NANOS = TimeUnit.SECONDS.toNanos(60);

    private final ReentrantLock lock = new ReentrantLock();
    /** Most recently idle last: a task goes to the thread most likely still in the CPU's caches. */
    private final ArrayDeque<Worker> idle = new ArrayDeque<>();

    /** Runs a task that others wait for. */
    Future<?> start(Runnable task) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        dispatch(new Job(task, done));
        return done;
    }

    /** Runs a task nobody waits for; what it throws goes to the uncaught exception handler. */
    void execute(Runnable task) {
        dispatch(new Job(task, null));
    }

    private void dispatch(Job job) {
        Worker worker;
        lock.lock();
        try {
            worker = idle.pollLast();
            if (worker != null) {
                worker.next = job;
                worker.handed.signal();
                return;
            }
        } finally {
            lock.unlock();
        }
        worker = new Worker(job);
        Thread.ofPlatform().name("nbd").daemon().start(worker);
    }

    private record Job(Runnable task, CompletableFuture<Void> done) {
    }

    private final class Worker implements Runnable {
        private final Condition handed = lock.newCondition();
        /** The job handed to this idle worker; guarded by the lock. */
        private Job next;

        Worker(Job first) {
            next = first;
        }

        @Override
        public void run() {
            for (Job job = take(); job != null; job = waitForJob()) {
                Throwable failure = null;
                try {
                    job.task().run();
                } catch (Throwable t) {
                    failure = t;
                }
                lock.lock();
                try {
                    idle.addLast(this);
                } finally {
                    lock.unlock();
                }
                if (job.done() == null) {
                    if (failure != null) {
                        Thread.currentThread().getUncaughtExceptionHandler()
                                .uncaughtException(Thread.currentThread(), failure);
                    }
                } else if (failure == null) {
                    job.done().complete(null);
                } else {
                    job.done().completeExceptionally(failure);
                }
            }
        }

        private Job take() {
            lock.lock();
            try {
                Job job = next;
                next = null;
                return job;
            } finally {
                lock.unlock();
            }
        }

        /** The next job, or null once the thread has been idle long enough to end. */
        private Job waitForJob() {
            lock.lock();
            try {
                long left = KEEP_IDLE_NANOS;
                while (next == null) {
                    if (left <= 0) {
                        idle.remove(this);
                        return null;
                    }
                    left = handed.awaitNanos(left);
                }
                Job job = next;
                next = null;
                return job;
            } catch (InterruptedException e) {
                // Nobody interrupts these threads; should it happen, the thread ends like an idle one.
                idle.remove(this);
                return next;
            } finally {
                lock.unlock();
            }
        }
    }
}
