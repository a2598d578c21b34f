package org.fleece.server.hmp;

import org.fleece.block.BlockGraph;
import org.fleece.block.BlockNode;

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
    private final RequestsInFlight inFlight = new RequestsInFlight();

    HmpQemuIo(BlockGraph graph, LongSupplier clock) {
        this.graph = graph;
        this.clock = clock;
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
        new QemuIo(node, console, clock, inFlight).run(command);
    }
}
