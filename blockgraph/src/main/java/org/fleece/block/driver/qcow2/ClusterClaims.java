package org.fleece.block.driver.qcow2;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;

/**
 * Guest clusters whose L2 entries a request is about to change (allocating
 * writes, write-zeroes, discard): one request at a time per cluster, others
 * wait for it and then look at the cluster again. Claims are taken in
 * ascending order and dropped whole on a conflict, so they cannot deadlock.
 */
final class ClusterClaims {
    private final ConcurrentHashMap<Long, CountDownLatch> held = new ConcurrentHashMap<>();

    /** Clusters [first, first + count), held until {@link Claim#release()}. */
    final class Claim {
        private final long first;
        private final int count;
        private final CountDownLatch done;

        private Claim(long first, int count, CountDownLatch done) {
            this.first = first;
            this.count = count;
            this.done = done;
        }

        void release() {
            for (long c = first; c < first + count; c++) {
                held.remove(c, done);
            }
            done.countDown();
        }
    }

    Claim claim(long first, int count) {
        while (true) {
            CountDownLatch mine = new CountDownLatch(1);
            CountDownLatch theirs = null;
            int taken = 0;
            while (taken < count) {
                theirs = held.putIfAbsent(first + taken, mine);
                if (theirs != null) {
                    break;
                }
                taken++;
            }
            Claim claim = new Claim(first, taken, mine);
            if (theirs == null) {
                return claim;
            }
            claim.release();
            awaitUninterruptibly(theirs);
        }
    }

    private static void awaitUninterruptibly(CountDownLatch latch) {
        boolean interrupted = false;
        while (true) {
            try {
                latch.await();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }
}
