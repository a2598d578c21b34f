package org.fleece.server.hmp;

import org.fleece.block.BlockStatus;

import java.io.IOException;
import java.util.List;

/**
 * map: the node's ranges, each said to be allocated in this node or not (what
 * block status calls "allocated": this layer provides the data). Neighbouring
 * answers with the same allocation are merged into one line, as qemu-io does.
 */
final class MapCommand {
    private MapCommand() {
    }

    static void run(QemuIo io, List<String> argv) {
        Console console = io.console();
        try {
            long length = io.node().length();
            long offset = 0;
            while (offset < length) {
                boolean allocated = io.node().blockStatus(offset, length - offset).allocated();
                long end = offset;
                while (end < length) {
                    BlockStatus status = io.node().blockStatus(end, length - end);
                    if (status.allocated() != allocated) {
                        break;
                    }
                    end += status.bytes();
                }
                long bytes = end - offset;
                console.out(String.format("%s (0x%x) bytes %s at offset %s (0x%x)\n", Report.size(bytes), bytes,
                        allocated ? "    allocated" : "not allocated", Report.size(offset), offset));
                offset = end;
            }
        } catch (IOException e) {
            console.error("Failed allocation check: " + QemuIo.strerror(e));
        }
    }
}
