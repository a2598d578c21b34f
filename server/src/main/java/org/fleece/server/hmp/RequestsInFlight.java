package org.fleece.server.hmp;

import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The qemu-io commands still running, typically held at a blkdebug
 * breakpoint after the monitor got control back: what aio_flush waits for
 * (QEMU's blk_drain_all waits for every request in flight).
 */
final class RequestsInFlight {
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition none = lock.newCondition();
    private int running;

    void started() {
        lock.lock();
        try {
            running++;
        } finally {
            lock.unlock();
        }
    }

    void finished() {
        lock.lock();
        try {
            if (--running == 0) {
                none.signalAll();
            }
        } finally {
            lock.unlock();
        }
    }

    /** Waits until all are done; one held at a breakpoint keeps it waiting until it is resumed, as in QEMU. */
    void awaitNone() {
        lock.lock();
        try {
            while (running > 0) {
                none.awaitUninterruptibly();
            }
        } finally {
            lock.unlock();
        }
    }
}
