package org.fleece.server.chardev;

import org.fleece.server.cli.CliError;
import org.fleece.server.cli.KeyValue;

import java.util.Map;
import java.util.Set;

/**
 * A parsed --chardev: backend, id and the socket parameters Fleece serves.
 * Parameters QEMU knows for sockets but Fleece does not implement are refused,
 * not ignored.
 */
public record ChardevOptions(String backend, String id, String path, String host, String port,
                             boolean server, boolean waitForClient, int reconnectSeconds) {
    private static final Set<String> KNOWN_BACKENDS = Set.of("socket", "stdio", "null", "file", "pipe", "pty",
            "udp", "ringbuf", "memory", "serial", "tty", "parallel", "parport", "mux", "testdev", "qemu-vdagent",
            "dbus", "spicevmc", "spiceport", "vc", "wctablet", "msmouse", "braille");
    private static final Set<String> SOCKET_PARAMETERS = Set.of("backend", "id", "path", "host", "port", "server",
            "wait", "reconnect", "nodelay", "to", "ipv4", "ipv6", "abstract", "tight", "fd", "telnet", "tn3270",
            "websocket", "tls-creds", "tls-authz", "logfile", "logappend", "mux", "signal");
    private static final Set<String> UNSUPPORTED_SOCKET_PARAMETERS = Set.of("fd", "telnet", "tn3270", "websocket",
            "tls-creds", "tls-authz", "abstract", "logfile", "mux");

    public static ChardevOptions parse(String text) {
        Map<String, String> opts = KeyValue.flat(text, "backend");
        String backend = opts.getOrDefault("backend", "");
        if (!KNOWN_BACKENDS.contains(backend)) {
            throw new CliError("'" + backend + "' is not a valid char driver name");
        }
        Set<String> allowed = backend.equals("socket") ? SOCKET_PARAMETERS : Set.of("backend", "id", "logfile",
                "logappend", "mux", "signal");
        for (String key : opts.keySet()) {
            if (!allowed.contains(key)) {
                throw new CliError("Invalid parameter '" + key + "'");
            }
        }
        String id = opts.get("id");
        if (id == null) {
            throw new CliError("chardev: no id specified");
        }
        if (!backend.equals("socket") && !backend.equals("stdio") && !backend.equals("null")) {
            throw new CliError("chardev backend '" + backend + "' is not supported by Fleece (use socket or stdio)");
        }
        if (!backend.equals("socket")) {
            return new ChardevOptions(backend, id, null, null, null, false, false, 0);
        }
        for (String key : opts.keySet()) {
            if (UNSUPPORTED_SOCKET_PARAMETERS.contains(key)) {
                throw new CliError("socket chardev parameter '" + key + "' is not supported by Fleece");
            }
        }
        String path = opts.get("path");
        String host = opts.get("host");
        String port = opts.get("port");
        if (path == null && host == null && port == null) {
            throw new CliError("Unable to parse FD number ");
        }
        if (path == null && port == null) {
            throw new CliError("chardev: socket: no port given");
        }
        boolean server = bool(opts, "server", false);
        boolean wait = bool(opts, "wait", true);
        if (!server && opts.containsKey("wait")) {
            throw new CliError("'wait' option is incompatible with socket in client connect mode");
        }
        int reconnect = Integer.parseInt(opts.getOrDefault("reconnect", "0"));
        if (server && reconnect > 0) {
            throw new CliError("'reconnect' option is incompatible with socket in server listen mode");
        }
        return new ChardevOptions(backend, id, path, path == null ? (host == null ? "" : host) : null, port,
                server, server && wait, reconnect);
    }

    private static boolean bool(Map<String, String> opts, String key, boolean dflt) {
        String value = opts.get(key);
        if (value == null) {
            return dflt;
        }
        return switch (value) {
            case "on", "yes", "true", "y" -> true;
            case "off", "no", "false", "n" -> false;
            default -> throw new CliError("Parameter '" + key + "' expects 'on' or 'off'");
        };
    }
}
