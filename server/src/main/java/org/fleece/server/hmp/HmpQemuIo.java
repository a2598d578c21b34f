package org.fleece.server.hmp;

import org.fleece.block.BlockBackend;
import org.fleece.block.BlockGraph;
import org.fleece.block.BlockNode;
import org.fleece.block.Permission;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.LongSupplier;

/**
 * HMP's {@code qemu-io [-d] DEVICE "COMMAND"}. Without -d, DEVICE is a
 * BlockBackend name or a node name (Fleece has no named BlockBackends yet, so
 * a node name); with -d it is a device (qdev id or QOM path), of which Fleece
 * has none yet. An unknown device is an "Error: " line in the reply; the
 * command's own output goes to stdout and stderr, not to the reply.
 */
final class HmpQemuIo {
    static final String NAME = "qemu-io";

    private final BlockGraph graph;
    private final LongSupplier clock;
    /** Runs a task on the control thread, after the command at hand. */
    private final Executor control;
    private final RequestsInFlight inFlight = new RequestsInFlight();

    HmpQemuIo(BlockGraph graph, LongSupplier clock, Executor control) {
        this.graph = graph;
        this.clock = clock;
        this.control = control;
    }

    void run(HmpArguments arguments, Console console) throws HmpArguments.Failed {
        boolean qdev = arguments.flag('d');
        String device = arguments.word("block device name");
        String command = arguments.word("string");
        arguments.end();
        if (qdev) {
            console.error("Error: Device '" + device + "' not found");
            return;
        }
        BlockNode node = graph.find(device);
        if (node == null) {
            console.error("Error: Cannot find device='' nor node-name='" + device + "'");
            return;
        }
        // Like HMP in QEMU: a BlockBackend that asks for nothing until a command
        // needs to write, gone when the command is done. A command whose request
        // a breakpoint holds is done later: its backend goes then, on the
        // control thread, where graph changes happen.
        BlockBackend backend = graph.attachBackend(node, "", Permission.NONE, Permission.ALL);
        CompletableFuture<Void> done;
        try {
            done = new QemuIo(backend, console, clock, inFlight).run(command);
        } catch (RuntimeException e) {
            backend.detach();
            throw e;
        }
        if (done.isDone()) {
            backend.detach();
        } else {
            done.whenComplete((result, failure) -> control.execute(backend::detach));
        }
    }
}
