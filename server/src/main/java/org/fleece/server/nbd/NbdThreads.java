package org.fleece.server.nbd;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * The platform threads NBD servers accept, negotiate and serve requests on,
 * kept for a while once idle: libvirt and Proxmox start and stop the server
 * around every backup, and a new thread for each acceptor and client cost
 * more than the rest of the cycle. Platform threads, because a virtual thread
 * would put a client's socket in non-blocking mode for good, and sendfile
 * cannot wait on such a socket (see {@link Transmission}).
 */
final class NbdThreads {
    private static final long KEEP_IDLE_SECONDS = 60;

    private final ExecutorService threads = new ThreadPoolExecutor(0, Integer.MAX_VALUE,
            KEEP_IDLE_SECONDS, TimeUnit.SECONDS, new SynchronousQueue<>(),
            Thread.ofPlatform().name("nbd").daemon().factory());

    /** Runs a task that others wait for. */
    Future<?> start(Runnable task) {
        return threads.submit(task);
    }

    /** Runs a task nobody waits for; what it throws goes to the uncaught exception handler. */
    void execute(Runnable task) {
        threads.execute(task);
    }
}
