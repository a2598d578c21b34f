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

/**
 * The NBD server nbd-server-start creates: one listening socket, a virtual
 * thread accepting on it and a platform thread per client. Beyond max-connections, a client
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
    /** Each client and the thread it runs on. */
    private final Map<NbdClient, Thread> clients = new ConcurrentHashMap<>();
    private final Set<NbdClient> admitted = ConcurrentHashMap.newKeySet();
    private final Thread acceptor;

    private NbdServer(ServerSocketChannel listener, Path unixPath, int maxConnections, ExportTable exports) {
        this.listener = listener;
        this.unixPath = unixPath;
        this.maxConnections = maxConnections;
        this.exports = exports;
        this.acceptor = Thread.ofPlatform().name("nbd-accept").daemon().start(this::acceptLoop);
    }

    /** Binds and starts accepting; a failure to bind is a QmpError in QEMU's words. */
    static NbdServer start(ServerAddress address, int maxConnections, ExportTable exports) {
        return new NbdServer(address.bind(), address.unixPath(), maxConnections, exports);
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
        // A platform thread: the client's socket must stay in blocking mode (see Transmission).
        Thread thread = Thread.ofPlatform().name("nbd-client").daemon().unstarted(client);
        clients.put(client, thread);
        thread.start();
    }

    void forget(NbdClient client) {
        clients.remove(client);
        synchronized (admitted) {
            admitted.remove(client);
        }
    }

    /**
     * Stops listening, removes the UNIX socket and drops every client, then
     * waits (at most until the timeout) for their threads to end: once the
     * server is stopped, none of its threads or descriptors is left.
     */
    void stop(Duration timeout) {
        try {
            listener.close();
        } catch (IOException e) {
            LOG.warn("closing the NBD listener: {}", e.toString());
        }
        try {
            acceptor.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (unixPath != null) {
            try {
                Files.deleteIfExists(unixPath);
            } catch (IOException e) {
                LOG.warn("removing {}: {}", unixPath, e.toString());
            }
        }
        List<Thread> dropped = List.copyOf(clients.values());
        clients.keySet().forEach(NbdClient::disconnect);
        long deadline = System.nanoTime() + timeout.toNanos();
        try {
            for (Thread thread : dropped) {
                if (!thread.join(Duration.ofNanos(Math.max(deadline - System.nanoTime(), 1)))) {
                    LOG.warn("an NBD client still runs {} s after nbd-server-stop dropped it", timeout.toSeconds());
                    return;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
