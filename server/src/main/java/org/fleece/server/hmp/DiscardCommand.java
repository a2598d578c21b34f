package org.fleece.server.hmp;

import java.io.IOException;
import java.util.List;

/** discard [-Cq] off len: tells the node the range is no longer needed. */
final class DiscardCommand {
    private DiscardCommand() {
    }

    private static void usage(Console console) {
        QemuIo.usage(console, "discard", "[-Cq] off len", "discards a number of bytes at a specified offset");
    }

    static void run(QemuIo io, List<String> argv) {
        Console console = io.console();
        boolean machine = false;
        boolean quiet = false;
        GetOpt options = new GetOpt(argv, "Cq", console);
        for (int c = options.next(); c != -1; c = options.next()) {
            switch (c) {
                case 'C' -> machine = true;
                case 'q' -> quiet = true;
                default -> {
                    usage(console);
                    return;
                }
            }
        }
        List<String> operands = options.operands();
        if (operands.size() != 2) {
            usage(console);
            return;
        }
        Numbers.Range range = Numbers.range(operands, console);
        if (range == null) {
            return;
        }
        long offset = range.offset();
        long count = range.count();
        long start = io.now();
        try {
            io.node().discard(offset, count);
        } catch (IOException e) {
            console.out("discard failed: " + QemuIo.strerror(e) + "\n");
            return;
        }
        long elapsed = io.now() - start;
        if (!quiet) {
            Report.print(console, "discard", elapsed, offset, count, count, 1, machine);
        }
    }
}
