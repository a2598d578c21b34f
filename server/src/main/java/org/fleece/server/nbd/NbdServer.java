package org.fleece.server.nbd;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The NBD server nbd-server-start creates: one listening socket, a thread
 * accepting on it and one per client, from the daemon's {@link NbdThreads}. Beyond max-connections, a client
 * is not left waiting (as QEMU leaves it) but refused: every option it sends
 * is answered with NBD_REP_ERR_POLICY and a message saying why.
 */
public final class NbdServer {
    private static final Logger LOG = LoggerFactory.getLogger(NbdServer.class);

    private final ServerSocketChannel listener;
    private final Path unixPath;
    private final int maxConnections;
    private final ExportTable exports;
    private final BufferPool buffers = new BufferPool();
    private final NbdThreads threads;
    /** Each client and its run on one of the threads. */
    private final Map<NbdClient, Future<?>> clients = new ConcurrentHashMap<>();
    private final Set<NbdClient> admitted = ConcurrentHashMap.newKeySet();
    private final Future<?> acceptor;

    private NbdServer(ServerSocketChannel listener, Path unixPath, int maxConnections, ExportTable exports,
                      NbdThreads threads) {
        this.listener = listener;
        this.unixPath = unixPath;
        this.maxConnections = maxConnections;
        this.exports = exports;
        this.threads = threads;
        this.acceptor = threads.start(this::acceptLoop);
    }

    /** Binds and starts accepting; a failure to bind is a QmpError in QEMU's words. */
    static NbdServer start(ServerAddress address, int maxConnections, ExportTable exports, NbdThreads threads) {
        return new NbdServer(address.bind(), address.unixPath(), maxConnections, exports, threads);
    }

    NbdThreads threads() {
        return threads;
    }

    ExportTable exports() {
        return exports;
    }

    BufferPool buffers() {
        return buffers;
    }

    /** QEMU advertises multi-conn unless the server allows a single connection. */
    boolean multiConn() {
        return maxConnections != 1;
    }

    private void acceptLoop() {
        while (true) {
            SocketChannel socket;
            try {
                socket = listener.accept();
            } catch (ClosedChannelException e) {
                return;
            } catch (IOException e) {
                LOG.warn("NBD server stops accepting: {}", e.toString());
                return;
            }
            admit(socket);
        }
    }

    private void admit(SocketChannel socket) {
        String refusal = null;
        NbdClient client;
        synchronized (admitted) {
            if (maxConnections > 0 && admitted.size() >= maxConnections) {
                refusal = "Server is at its limit of " + maxConnections + " connection"
                        + (maxConnections == 1 ? "" : "s") + " (max-connections)";
            }
            client = new NbdClient(new NbdChannel(socket), this, refusal);
            if (refusal == null) {
                admitted.add(client);
            }
        }
        // Registered before it runs, so that forget() at its end always finds it.
        synchronized (client) {
            clients.put(client, threads.start(client));
        }
    }

    void forget(NbdClient client) {
        synchronized (client) {
            clients.remove(client);
        }
        synchronized (admitted) {
            admitted.remove(client);
        }
    }

    /**
     * Stops listening, removes the UNIX socket and drops every client, then
     * waits (at most until the timeout) for them to end: once the server is
     * stopped, none of its descriptors is open and its threads are idle.
     */
    void stop(Duration timeout) {
        try {
            listener.close();
        } catch (IOException e) {
            LOG.warn("closing the NBD listener: {}", e.toString());
        }
        awaitEnd(acceptor, System.nanoTime() + timeout.toNanos());
        if (unixPath != null) {
            try {
                Files.deleteIfExists(unixPath);
            } catch (IOException e) {
                LOG.warn("removing {}: {}", unixPath, e.toString());
            }
        }
        List<Future<?>> dropped = List.copyOf(clients.values());
        clients.keySet().forEach(NbdClient::disconnect);
        long deadline = System.nanoTime() + timeout.toNanos();
        for (Future<?> client : dropped) {
            if (!awaitEnd(client, deadline)) {
                LOG.warn("an NBD client still runs {} s after nbd-server-stop dropped it", timeout.toSeconds());
                return;
            }
        }
    }

    /** False when the deadline passed first. */
    private static boolean awaitEnd(Future<?> run, long deadline) {
        try {
            run.get(Math.max(deadline - System.nanoTime(), 0), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException e) {
            LOG.warn("NBD server thread failed: {}", e.getCause().toString());
        } catch (TimeoutException e) {
            return false;
        }
        return true;
    }
}
