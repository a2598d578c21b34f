package org.fleece.server.hmp;

import org.fleece.block.BlockIOException;
import org.fleece.block.Breakpoints;
import org.fleece.block.Errno;

import java.util.List;

/**
 * qemu-io's commands for blkdebug's breakpoints: break EVENT TAG,
 * remove_break TAG, resume TAG and wait_break TAG. They reach the first
 * blkdebug node down the node's primary children; without one, each fails
 * with ENOTSUP, and its failure is printed on stdout.
 */
final class BreakpointCommands {
    private BreakpointCommands() {
    }

    @FunctionalInterface
    private interface Action {
        void run(Breakpoints breakpoints) throws BlockIOException;
    }

    private static void act(QemuIo io, String failure, Action action) {
        Breakpoints breakpoints = Breakpoints.below(io.node());
        try {
            if (breakpoints == null) {
                throw new BlockIOException(Errno.ENOTSUP);
            }
            action.run(breakpoints);
        } catch (BlockIOException e) {
            io.console().out(failure + ": " + e.errno().text() + "\n");
        }
    }

    static void breakpoint(QemuIo io, List<String> argv) {
        act(io, "Could not set breakpoint", b -> b.breakpoint(argv.get(1), argv.get(2)));
    }

    static void removeBreakpoint(QemuIo io, List<String> argv) {
        act(io, "Could not remove breakpoint " + argv.get(1), b -> b.removeBreakpoint(argv.get(1)));
    }

    static void resume(QemuIo io, List<String> argv) {
        act(io, "Could not resume request", b -> b.resume(argv.get(1)));
    }

    /**
     * Blocks the monitor until a request is held under the tag, as QEMU's
     * does. Without a blkdebug node QEMU would wait forever; Fleece returns,
     * as nothing could ever stop there.
     */
    static void waitBreak(QemuIo io, List<String> argv) {
        Breakpoints breakpoints = Breakpoints.below(io.node());
        if (breakpoints != null) {
            breakpoints.awaitSuspended(argv.get(1));
        }
    }
}
