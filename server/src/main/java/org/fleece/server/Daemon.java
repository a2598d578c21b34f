package org.fleece.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import org.fleece.block.BlockGraph;
import org.fleece.block.ControlThread;
import org.fleece.qapi.QmpError;
import org.fleece.qapi.schema.InputVisitor;
import org.fleece.qapi.schema.Schema;
import org.fleece.qapi.schema.SchemaType;
import org.fleece.server.chardev.Chardev;
import org.fleece.server.chardev.ChardevOptions;
import org.fleece.server.chardev.NullChardev;
import org.fleece.server.chardev.SocketChardev;
import org.fleece.server.chardev.StdioChardev;
import org.fleece.server.block.BlockCommands;
import org.fleece.server.block.CreateCommands;
import org.fleece.server.block.TransactionCommands;
import org.fleece.server.cli.CliError;
import org.fleece.server.cli.JsonOption;
import org.fleece.server.cli.CommandLine;
import org.fleece.server.cli.KeyValue;
import org.fleece.server.control.ControlCommands;
import org.fleece.server.hmp.HmpCommands;
import org.fleece.server.job.JobCommands;
import org.fleece.server.job.JobEventEmitter;
import org.fleece.block.job.JobManager;
import org.fleece.server.nbd.BlockExports;
import org.fleece.server.nbd.NbdCommands;
import org.fleece.server.qmp.CommandTable;
import org.fleece.server.qmp.Dispatcher;
import org.fleece.server.qmp.Events;
import org.fleece.server.qmp.Monitor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The running daemon: builds what the command line asks for, in order, and
 * takes it down again on quit or a signal.
 */
public final class Daemon {
    private static final Logger LOG = LoggerFactory.getLogger(Daemon.class);
    private static final long QUIT_FLUSH_MILLIS = 2000;
    private static final long SIGNAL_CLOSE_SECONDS = 30;

    private final ControlThread control = new ControlThread();
    private final BlockGraph graph = new BlockGraph();
    private final Schema schema = Schema.fleece();
    private final CommandTable commands = new CommandTable();
    private final Events events = new Events();
    private final Dispatcher dispatcher = new Dispatcher(schema, commands);
    private final Map<String, Chardev> chardevs = new LinkedHashMap<>();
    private final JsonNode version = ControlCommands.version(Version.FLEECE);
    private final BlockExports exports = new BlockExports(graph, control::execute,
            id -> events.emit("BLOCK_EXPORT_DELETED", JsonNodeFactory.instance.objectNode().put("id", id)));
    private final JobManager jobs = new JobManager(new JobEventEmitter(events));
    private PidFile pidFile;

    public Daemon() {
        new ControlCommands(schema, version, chardevs::values, this::quit).registerIn(commands);
        new BlockCommands(graph).registerIn(commands);
        new TransactionCommands(graph, jobs, control::execute).registerIn(commands);
        new JobCommands(jobs).registerIn(commands);
        new CreateCommands(graph, jobs, control::execute).registerIn(commands);
        new HmpCommands(graph, control::execute).registerIn(commands);
        new NbdCommands(exports).registerIn(commands);
        commands.checkAgainst(schema);
    }

    /** Builds everything the command line names; a CliError names the option at fault. */
    public void start(CommandLine commandLine) {
        for (CommandLine.Option option : commandLine.options()) {
            try {
                apply(option);
            } catch (CliError e) {
                throw new CliError(option + ": " + e.getMessage());
            }
        }
        // The pid file exists before any socket does, so whoever sees a socket may read it.
        if (commandLine.pidfile() != null) {
            pidFile = PidFile.write(commandLine.pidfile());
        }
        for (Chardev chardev : chardevs.values()) {
            try {
                chardev.open();
            } catch (IOException e) {
                cleanUp();
                throw new CliError(e.getMessage());
            }
        }
        Runtime.getRuntime().addShutdownHook(new Thread(this::cleanUp, "fleece-exit"));
        // qemu-storage-daemon treats these as a request to quit and exits with status 0. The
        // handlers go in before any socket accepts, so a client's first signal finds them.
        for (String signal : new String[] {"TERM", "INT", "HUP"}) {
            IgnoredSignals.restoreDefault(signal);
            Signal.handle(new Signal(signal), s -> exitOnSignal());
        }
        chardevs.values().forEach(Chardev::start);
    }

    private void apply(CommandLine.Option option) {
        switch (option.name()) {
            case "--chardev" -> addChardev(ChardevOptions.parse(option.value()));
            case "--monitor" -> addMonitor(option.value());
            case "--trace" -> LOG.info("tracing is not implemented; ignoring -T {}", option.value());
            case "--blockdev" -> {
                JsonNode options = parse(option.value(), schema.command("blockdev-add").arguments(), "driver");
                onControlThread(() -> graph.add(options));
            }
            case "--nbd-server" -> {
                JsonNode options = parse(option.value(), schema.type("NbdServerOptions"), null);
                onControlThread(() -> NbdCommands.startServer(exports, options));
            }
            case "--export" -> {
                JsonNode options = parse(option.value(), schema.command("block-export-add").arguments(), "type");
                onControlThread(() -> NbdCommands.add(exports, options));
            }
            case "--object" -> throw new CliError("objects are not supported by Fleece yet");
            default -> throw new IllegalStateException("unhandled option " + option.name());
        }
    }

    private void addChardev(ChardevOptions options) {
        if (chardevs.containsKey(options.id())) {
            throw new CliError("duplicate yank instance");
        }
        Chardev chardev = switch (options.backend()) {
            case "socket" -> new SocketChardev(options);
            case "stdio" -> new StdioChardev(options.id());
            default -> new NullChardev(options.id());
        };
        chardevs.put(options.id(), chardev);
    }

    /**
     * An option's value as JSON or key=value (the first key may be left out when
     * implied is not null), converted and checked against the schema type as QEMU
     * checks --blockdev, --nbd-server and --export.
     */
    private static JsonNode parse(String text, SchemaType type, String implied) {
        try {
            JsonNode options;
            if (text.startsWith("{")) {
                options = JsonOption.parse(text);
                InputVisitor.checkArguments(type, options);
            } else {
                options = KeyValue.parse(text, implied);
                InputVisitor.convertKeyval(type, options);
            }
            return options;
        } catch (QmpError e) {
            throw cliError(e);
        }
    }

    /** Runs a start-up step where graph and exports live; its QmpError names what is wrong with the option. */
    private void onControlThread(Runnable step) {
        try {
            control.submit(() -> {
                step.run();
                return null;
            }).join();
        } catch (CompletionException e) {
            throw e.getCause() instanceof QmpError error ? cliError(error) : e;
        }
    }

    /** On the command line, as on any console, QEMU prints an error's hint on the lines after it. */
    private static CliError cliError(QmpError e) {
        return new CliError(e.hint() == null ? e.desc() : e.desc() + "\n" + e.hint().stripTrailing());
    }

    private void addMonitor(String text) {
        Map<String, String> opts = KeyValue.flat(text, "chardev");
        for (String key : opts.keySet()) {
            if (!List.of("chardev", "mode", "pretty", "id").contains(key)) {
                throw new CliError("Invalid parameter '" + key + "'");
            }
        }
        String mode = opts.getOrDefault("mode", "control");
        if (!mode.equals("control")) {
            throw new CliError("Only QMP is supported");
        }
        String name = opts.get("chardev");
        Chardev chardev = name == null ? null : chardevs.get(name);
        if (chardev == null) {
            throw new CliError("chardev \"" + name + "\" not found");
        }
        boolean pretty = switch (opts.getOrDefault("pretty", "off")) {
            case "on", "yes", "true", "y" -> true;
            case "off", "no", "false", "n" -> false;
            default -> throw new CliError("Parameter 'pretty' expects 'on' or 'off'");
        };
        // The monitor attaches itself to the chardev, which keeps it.
        new Monitor(chardev, pretty, dispatcher, control, events, version);
    }

    /**
     * After quit's reply: tell every client the daemon is going (QEMU's system
     * emulator sends SHUTDOWN; scripts wait for it), give the sockets a moment
     * to drain, close every node as qemu-storage-daemon does on its way out
     * (persistent bitmaps reach their images), then exit with status 0. Runs
     * on the control thread.
     */
    private void quit() {
        JsonNodeFactory json = JsonNodeFactory.instance;
        CompletableFuture<Void> sent = events.emit("SHUTDOWN",
                json.objectNode().put("guest", false).put("reason", "host-qmp-quit"));
        try {
            sent.get(QUIT_FLUSH_MILLIS, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            LOG.warn("not every client received SHUTDOWN: {}", e.toString());
        }
        graph.closeAll();
        System.exit(0);
    }

    /**
     * A signal asks the daemon to quit: the nodes close on the control thread
     * (persistent bitmaps reach their images), unless it stays busy too long.
     */
    private void exitOnSignal() {
        try {
            control.submit(() -> {
                graph.closeAll();
                return null;
            }).get(SIGNAL_CLOSE_SECONDS, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            LOG.warn("closing the block nodes on exit failed: {}", e.toString());
        }
        System.exit(0);
    }

    private void cleanUp() {
        chardevs.values().forEach(Chardev::close);
        if (pidFile != null) {
            pidFile.remove();
        }
    }
}
