package org.fleece.server.hmp;

import com.fasterxml.jackson.databind.node.TextNode;
import org.fleece.block.BlockGraph;
import org.fleece.qapi.QmpError;
import org.fleece.server.qmp.CommandTable;

import java.io.PrintStream;
import java.util.concurrent.Executor;
import java.util.function.LongSupplier;

/**
 * human-monitor-command: the human monitor as the QEMU system emulator offers
 * it over QMP, reduced to what QEMU's iotests use it for (qemu-io on a node).
 *
 * <p>The command runs on the control thread, which waits for its qemu-io
 * request as QEMU's HMP qemu-io does (a slow request holds up the monitors
 * for its duration), unless a blkdebug breakpoint holds the request.
 */
public final class HmpCommands {
    private final HumanMonitor monitor;
    private final PrintStream out;
    private final PrintStream err;

    /** qemu-io output goes to the daemon's stdout and stderr; control runs tasks on the control thread. */
    public HmpCommands(BlockGraph graph, Executor control) {
        this(graph, System.out, System.err, System::nanoTime, control);
    }

    /** clock: nanoseconds on CLOCK_MONOTONIC (what System.nanoTime reads on Linux). */
    public HmpCommands(BlockGraph graph, PrintStream out, PrintStream err, LongSupplier clock, Executor control) {
        this.monitor = new HumanMonitor(new HmpQemuIo(graph, clock, control));
        this.out = out;
        this.err = err;
    }

    public void registerIn(CommandTable table) {
        table.register("human-monitor-command", (args, ctx) -> {
            // QEMU's default machine has one CPU, number 0.
            if (args.has("cpu-index") && args.get("cpu-index").asLong() != 0) {
                throw QmpError.generic("Parameter 'cpu-index' expects a CPU number");
            }
            return TextNode.valueOf(execute(args.get("command-line").asText()));
        });
    }

    /** Runs one HMP command line; returns the reply text. */
    public String execute(String commandLine) {
        return monitor.execute(commandLine, new Console(out, err));
    }
}
