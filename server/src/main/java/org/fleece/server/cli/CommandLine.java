package org.fleece.server.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * qemu-storage-daemon's command line, read the way getopt_long reads it
 * ({@code --opt value} or {@code --opt=value}); options that act on the daemon
 * are kept in order, because a --monitor must name an earlier --chardev.
 */
public record CommandLine(List<Option> options, String pidfile, boolean daemonize, boolean help, boolean version,
                          String logLevel) {
    /** One option that builds part of the daemon, with its value as written. */
    public record Option(String name, String value) {
        @Override
        public String toString() {
            return name + " " + value;
        }
    }

    private static final Map<String, String> WITH_VALUE = Map.ofEntries(
            Map.entry("--blockdev", "--blockdev"), Map.entry("--chardev", "--chardev"),
            Map.entry("--export", "--export"), Map.entry("--monitor", "--monitor"),
            Map.entry("--nbd-server", "--nbd-server"), Map.entry("--object", "--object"),
            Map.entry("--pidfile", "--pidfile"), Map.entry("--trace", "--trace"), Map.entry("-T", "--trace"),
            Map.entry("--log-level", "--log-level"));

    public static CommandLine parse(String[] args) {
        List<Option> options = new ArrayList<>();
        String pidfile = null;
        String logLevel = "warn";
        boolean daemonize = false;
        boolean help = false;
        boolean version = false;
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            String name = arg;
            String value = null;
            int eq = arg.indexOf('=');
            if (arg.startsWith("--") && eq > 0) {
                name = arg.substring(0, eq);
                value = arg.substring(eq + 1);
            }
            switch (name) {
                case "-h", "--help" -> help = true;
                case "-V", "--version" -> version = true;
                case "--daemonize" -> daemonize = true;
                default -> {
                    String canonical = WITH_VALUE.get(name);
                    if (canonical == null) {
                        if (arg.startsWith("-") && arg.length() > 1) {
                            throw new CliError(arg.startsWith("--") ? "unrecognized option '" + name + "'"
                                    : "invalid option -- '" + arg.substring(1) + "'");
                        }
                        throw new CliError(arg + ": Unexpected argument");
                    }
                    if (value == null) {
                        if (i + 1 >= args.length) {
                            throw new CliError(name.startsWith("--") ? "option '" + name + "' requires an argument"
                                    : "option requires an argument -- '" + name.substring(1) + "'");
                        }
                        value = args[++i];
                    }
                    switch (canonical) {
                        case "--pidfile" -> pidfile = value;
                        case "--log-level" -> logLevel = value;
                        default -> options.add(new Option(canonical, value));
                    }
                }
            }
        }
        return new CommandLine(List.copyOf(options), pidfile, daemonize, help, version, logLevel);
    }

    public static String helpText(String version) {
        return """
                Usage: fleece [options]
                Fleece %s: a block-storage daemon that speaks QMP like qemu-storage-daemon 7.2

                  -h, --help             display this help and exit
                  -V, --version          output version information and exit
                  -T, --trace [[enable=]<pattern>][,events=<file>][,file=<file>]
                                         accepted for compatibility; Fleece logs instead of tracing
                  --blockdev [driver=]<driver>[,node-name=<N>][,<prop>=<value>...]
                                         configure a block backend (arrives with the block graph)
                  --chardev <options>    configure a character device backend:
                                         socket,id=<id>,path=<path>[,server=on|off][,wait=on|off]
                                         socket,id=<id>,host=<host>,port=<port>[,server=on|off][,wait=on|off]
                                         stdio,id=<id> | null,id=<id>
                  --export [type=]nbd,id=<id>,node-name=<node>[,...]
                                         export the specified block node (arrives with NBD)
                  --monitor [chardev=]name[,mode=control][,pretty[=on|off]]
                                         configure a QMP monitor
                  --nbd-server addr.type=inet,addr.host=<host>,addr.port=<port>
                  --nbd-server addr.type=unix,addr.path=<path>
                                         start an NBD server (arrives with NBD)
                  --object <type>,id=<id>[,...]
                                         create a QOM object (arrives with the commands that use objects)
                  --pidfile <path>       write process ID to a file after startup
                  --daemonize            daemonize the process, and have the parent exit
                                         once startup is complete
                  --log-level <level>    error, warn (default), info, debug or trace; logs go to stderr

                With no options, bin/fleece serves QMP on ./fleece-qmp.sock.
                """.formatted(version);
    }
}
