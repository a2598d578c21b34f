package org.fleece.server.nbd;

import com.fasterxml.jackson.databind.JsonNode;
import org.fleece.qapi.QmpError;

import java.io.IOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnknownHostException;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Where nbd-server-start listens: a SocketAddressLegacy ({type, data}) or a
 * flat SocketAddress as --nbd-server gives it. Binding fails with QEMU's words.
 */
record ServerAddress(String type, JsonNode data) {
    /** sizeof(sun_path): a path must fit with its terminating NUL. */
    private static final int SUN_PATH = 108;

    static ServerAddress legacy(JsonNode addr) {
        return new ServerAddress(addr.get("type").asText(), addr.get("data"));
    }

    static ServerAddress flat(JsonNode addr) {
        return new ServerAddress(addr.get("type").asText(), addr);
    }

    /** The UNIX socket's path, removed again when the server stops; null for TCP. */
    Path unixPath() {
        return type.equals("unix") ? Path.of(data.get("path").asText()) : null;
    }

    ServerSocketChannel bind() {
        return switch (type) {
            case "unix" -> bindUnix();
            case "inet" -> bindInet();
            case "fd" -> throw QmpError.generic("only QEMU supports file descriptor passing");
            default -> throw QmpError.generic("Fleece does not support " + type + " sockets");
        };
    }

    private ServerSocketChannel bindUnix() {
        String path = data.get("path").asText();
        if (data.path("abstract").asBoolean(false)) {
            throw QmpError.generic("Fleece does not support abstract UNIX sockets");
        }
        if (path.getBytes(StandardCharsets.UTF_8).length >= SUN_PATH) {
            throw QmpError.generic("UNIX socket path '" + path + "' is too long");
        }
        try {
            // QEMU replaces whatever is at the path, a stale socket most of the time.
            Files.deleteIfExists(Path.of(path));
        } catch (IOException e) {
            throw QmpError.generic("Failed to unlink socket " + path + ": " + reason(e));
        }
        ServerSocketChannel channel = null;
        try {
            channel = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
            channel.bind(UnixDomainSocketAddress.of(path));
            return channel;
        } catch (IOException e) {
            closeQuietly(channel);
            throw QmpError.generic("Failed to bind socket to " + path + ": " + reason(e));
        }
    }

    private ServerSocketChannel bindInet() {
        String host = data.get("host").asText();
        String port = data.get("port").asText();
        int number;
        InetAddress address;
        try {
            number = Integer.parseInt(port);
        } catch (NumberFormatException e) {
            throw QmpError.generic("address resolution failed for " + host + ":" + port
                    + ": Servname not supported for ai_socktype");
        }
        try {
            address = host.isEmpty() ? null : InetAddress.getByName(host);
        } catch (UnknownHostException e) {
            throw QmpError.generic("address resolution failed for " + host + ":" + port + ": Name or service not known");
        }
        ServerSocketChannel channel = null;
        try {
            channel = ServerSocketChannel.open();
            channel.setOption(java.net.StandardSocketOptions.SO_REUSEADDR, true);
            channel.bind(address == null ? new InetSocketAddress(number & 0xffff)
                    : new InetSocketAddress(address, number & 0xffff));
            return channel;
        } catch (BindException e) {
            closeQuietly(channel);
            throw QmpError.generic("Failed to find an available port: " + reason(e));
        } catch (IOException e) {
            closeQuietly(channel);
            throw QmpError.generic("Failed to bind socket: " + reason(e));
        }
    }

    /** The C library's words for the failure, which is what the JDK's messages mostly carry. */
    private static String reason(IOException e) {
        if (e instanceof java.nio.file.NoSuchFileException) {
            return "No such file or directory";
        }
        if (e instanceof java.nio.file.AccessDeniedException) {
            return "Permission denied";
        }
        String message = e.getMessage();
        if (message != null && message.contains("No such file")) {
            return "No such file or directory";
        }
        return message == null ? e.toString() : message;
    }

    private static void closeQuietly(ServerSocketChannel channel) {
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException ignored) {
                // Nothing was bound; nothing to undo.
            }
        }
    }
}
