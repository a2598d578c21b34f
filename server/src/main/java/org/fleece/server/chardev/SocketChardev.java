package org.fleece.server.chardev;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.concurrent.TimeUnit;

/**
 * A socket character device, UNIX or TCP, listening (server=on) or connecting.
 * Like QEMU's it serves one client at a time: it accepts the next client only
 * when the current one has left, so later clients wait in the kernel's backlog
 * and hear nothing until then.
 * <p>
 * Each device reads on a platform thread of its own: a blocking read wakes it
 * straight from the kernel, where a virtual thread would wait for the JDK's
 * poller and a carrier; that halves the time of a QMP round trip, and a daemon
 * has only a handful of monitors.
 */
public final class SocketChardev implements Chardev {
    private static final Logger LOG = LoggerFactory.getLogger(SocketChardev.class);
    private static final int BACKLOG = 64;
    /** sun_path holds 108 bytes with the terminating NUL. */
    private static final int MAX_UNIX_PATH = 107;

    private final ChardevOptions options;
    private Frontend frontend;
    private ServerSocketChannel server;
    /** The client accepted or connected in {@link #open}, served first by {@link #start}. */
    private SocketChannel firstClient;
    private volatile String peer;
    private volatile boolean connected;
    private volatile boolean closed;

    public SocketChardev(ChardevOptions options) {
        this.options = options;
    }

    @Override
    public String id() {
        return options.id();
    }

    /**
     * QEMU names the socket by its local end: a listening UNIX socket by its path,
     * a connected UNIX client by its unnamed end ("unix:").
     */
    @Override
    public String filename() {
        if (!options.server() && options.path() != null) {
            return connected ? "unix:" : "disconnected:unix:";
        }
        String local = options.path() != null ? "unix:" + options.path()
                : "tcp:" + options.host() + ":" + port();
        String mode = options.server() ? local + ",server=on" : local;
        if (!connected) {
            return "disconnected:" + mode;
        }
        return options.path() == null && options.server() ? mode + " <-> " + peer : mode;
    }

    private String port() {
        if (server != null && options.path() == null) {
            try {
                return Integer.toString(((InetSocketAddress) server.getLocalAddress()).getPort());
            } catch (IOException e) {
                return options.port();
            }
        }
        return options.port();
    }

    @Override
    public boolean frontendOpen() {
        return frontend != null;
    }

    @Override
    public void attach(Frontend frontend) {
        this.frontend = frontend;
    }

    private SocketAddress address() {
        if (options.path() != null) {
            return UnixDomainSocketAddress.of(options.path());
        }
        return new InetSocketAddress(options.host(), Integer.parseInt(options.port()));
    }

    private String where() {
        return options.path() != null ? options.path() : options.host() + ":" + options.port();
    }

    @Override
    public void open() throws IOException {
        if (!options.server()) {
            try {
                firstClient = SocketChannel.open(address());
            } catch (IOException e) {
                throw new IOException("Failed to connect to '" + where() + "': " + e.getMessage(), e);
            }
            return;
        }
        try {
            if (options.path() != null) {
                server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
                bindUnix(Path.of(options.path()));
            } else {
                server = ServerSocketChannel.open();
                server.setOption(StandardSocketOptions.SO_REUSEADDR, true);
                server.bind(address(), BACKLOG);
            }
        } catch (IOException e) {
            throw new IOException("Failed to bind socket to " + where() + ": " + e.getMessage(), e);
        }
        if (options.waitForClient()) {
            LOG.info("waiting for connection on: {}", filename());
            firstClient = server.accept();
        }
    }

    /**
     * Binds under a temporary name and renames the socket into place once it
     * listens: whoever waits for the file to appear never finds a socket that
     * refuses connections. A stale socket at the path is replaced, as QEMU does.
     */
    private void bindUnix(Path path) throws IOException {
        Path temporary = path.resolveSibling(".fleece-" + ProcessHandle.current().pid() + "-" + id());
        if (temporary.toString().length() > MAX_UNIX_PATH) {
            Files.deleteIfExists(path);
            server.bind(UnixDomainSocketAddress.of(path), BACKLOG);
            return;
        }
        Files.deleteIfExists(temporary);
        server.bind(UnixDomainSocketAddress.of(temporary), BACKLOG);
        Files.move(temporary, path, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    @Override
    public void start() {
        Thread.ofPlatform().daemon().name("chardev-" + id()).start(options.server() ? this::acceptLoop : this::clientLoop);
    }

    private void acceptLoop() {
        if (firstClient != null) {
            serve(firstClient);
        }
        while (!closed) {
            SocketChannel client;
            try {
                client = server.accept();
            } catch (IOException e) {
                if (!closed) {
                    LOG.warn("chardev {}: accept failed: {}", id(), e.getMessage());
                }
                return;
            }
            serve(client);
        }
    }

    /** Client mode: serve the connection, then reconnect every `reconnect` seconds if asked to. */
    private void clientLoop() {
        serve(firstClient);
        while (!closed && options.reconnectSeconds() > 0) {
            try {
                TimeUnit.SECONDS.sleep(options.reconnectSeconds());
                serve(SocketChannel.open(address()));
            } catch (IOException e) {
                LOG.debug("chardev {}: reconnect failed: {}", id(), e.getMessage());
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private void serve(SocketChannel client) {
        try {
            if (options.path() == null) {
                client.setOption(StandardSocketOptions.TCP_NODELAY, true);
                InetSocketAddress remote = (InetSocketAddress) client.getRemoteAddress();
                peer = remote.getAddress().getHostAddress() + ":" + remote.getPort();
            }
        } catch (IOException e) {
            LOG.debug("chardev {}: {}", id(), e.getMessage());
        }
        ChannelConnection connection = new ChannelConnection(client, client, "chardev-" + id() + "-out");
        connected = true;
        try {
            connection.serve(frontend != null ? frontend.connected(connection) : Frontend.IGNORE);
        } finally {
            connected = false;
        }
    }

    @Override
    public void close() {
        closed = true;
        try {
            if (server != null) {
                server.close();
            }
            if (options.server() && options.path() != null) {
                Files.deleteIfExists(Path.of(options.path()));
            }
        } catch (IOException e) {
            LOG.warn("chardev {}: cannot remove its socket: {}", id(), e.getMessage());
        }
    }
}
