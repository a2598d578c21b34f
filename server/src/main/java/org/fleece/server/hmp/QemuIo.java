package org.fleece.server.hmp;

import org.fleece.block.BlockIOException;
import org.fleece.block.BlockBackend;
import org.fleece.block.BlockNode;
import org.fleece.block.Breakpoints;
import org.fleece.block.Permission;
import org.fleece.qapi.QmpError;
import org.fleece.block.Errno;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.function.LongSupplier;

/**
 * One qemu-io command line run against a node, as HMP's qemu-io runs it: the
 * line is split at spaces, the first word names the command (or its one-letter
 * alias), the argument count is checked, a command that writes needs a node
 * that may be written, then the command parses its options and does its I/O.
 *
 * <p>A command that does I/O runs on a thread of its own while the monitor
 * waits until it is done, or until its request stops at a blkdebug breakpoint:
 * then the monitor gets control back, as QEMU's does when the request's
 * coroutine yields, and the command prints its result whenever it is resumed.
 * So an aio_write completes before the monitor goes on unless a breakpoint
 * holds it, and the control thread never waits on a held request (except in
 * aio_flush and wait_break, which wait for requests as QEMU's do).
 */
final class QemuIo {
    /** A qemu-io command; argv holds the command word first. */
    @FunctionalInterface
    interface Command {
        void run(QemuIo io, List<String> argv);
    }

    /** request: the command does I/O, on a thread of its own (see above). */
    private record Entry(String name, String alias, int minArgs, int maxArgs, boolean writes, boolean request,
                         Command command) {
    }

    private static final List<Entry> COMMANDS = List.of(
            new Entry("aio_flush", null, 0, 0, false, false, (io, argv) -> io.inFlight.awaitNone()),
            new Entry("aio_write", null, 2, -1, true, true, AioWriteCommand::run),
            new Entry("break", null, 2, 2, false, false, BreakpointCommands::breakpoint),
            new Entry("discard", "d", 2, -1, true, true, DiscardCommand::run),
            new Entry("flush", "f", 0, 0, false, true, QemuIo::flush),
            new Entry("map", null, 0, 0, false, true, MapCommand::run),
            new Entry("read", "r", 2, -1, false, true, ReadCommand::run),
            new Entry("remove_break", null, 1, 1, false, false, BreakpointCommands::removeBreakpoint),
            new Entry("resume", null, 1, 1, false, false, BreakpointCommands::resume),
            new Entry("wait_break", null, 1, 1, false, false, BreakpointCommands::waitBreak),
            new Entry("write", "w", 2, -1, true, true, WriteCommand::run));

    private static final CompletableFuture<Void> DONE = CompletableFuture.completedFuture(null);

    private final BlockBackend backend;
    private final BlockNode node;
    private final Console console;
    private final LongSupplier clock;
    private final RequestsInFlight inFlight;

    /** clock: nanoseconds of CLOCK_MONOTONIC (System::nanoTime on Linux); tests pass their own. */
    QemuIo(BlockBackend backend, Console console, LongSupplier clock, RequestsInFlight inFlight) {
        this.backend = backend;
        this.node = backend.node();
        this.console = console;
        this.clock = clock;
        this.inFlight = inFlight;
    }

    BlockNode node() {
        return node;
    }

    Console console() {
        return console;
    }

    long now() {
        return clock.getAsLong();
    }

    /** Runs the line; the result completes when the command is done, which may be after it returned. */
    CompletableFuture<Void> run(String line) {
        List<String> argv = new ArrayList<>();
        for (String word : line.split(" ", -1)) {
            if (!word.isEmpty()) {
                argv.add(word);
            }
        }
        if (argv.isEmpty()) {
            return DONE;
        }
        String name = argv.get(0);
        Entry entry = COMMANDS.stream().filter(e -> e.name.equals(name) || name.equals(e.alias)).findFirst()
                .orElse(null);
        if (entry == null) {
            console.err("command \"" + name + "\" not found\n");
            return DONE;
        }
        int args = argv.size() - 1;
        if (args < entry.minArgs || (entry.maxArgs != -1 && args > entry.maxArgs)) {
            String expected = entry.maxArgs == -1 ? "at least " + entry.minArgs + " arguments"
                    : entry.minArgs == entry.maxArgs ? entry.minArgs + " arguments"
                    : "between " + entry.minArgs + " and " + entry.maxArgs + " arguments";
            console.err("bad argument count " + args + " to " + name + ", expected " + expected + "\n");
            return DONE;
        }
        // The temporary BlockBackend HMP puts on the node asks for the write
        // permission first; QEMU reports the refusal with error_report, which
        // lands in the HMP reply, and does not run the command.
        if (entry.writes) {
            try {
                backend.setPermissions(backend.perm() | Permission.WRITE.bit(), backend.shared());
            } catch (QmpError e) {
                console.error(e.getMessage());
                if (e.hint() != null) {
                    console.monitor(e.hint());
                }
                return DONE;
            }
        }
        if (!entry.request) {
            entry.command.run(this, argv);
            return DONE;
        }
        return runAsRequest(() -> entry.command.run(this, argv));
    }

    /** Runs the command on a thread of its own until it is done or held at a breakpoint. */
    private CompletableFuture<Void> runAsRequest(Runnable command) {
        CountDownLatch settled = new CountDownLatch(1);
        CompletableFuture<Void> done = new CompletableFuture<>();
        inFlight.started();
        Thread.ofVirtual().name("qemu-io").start(() -> {
            try {
                ScopedValue.where(Breakpoints.ON_SUSPEND, settled::countDown).run(command);
            } finally {
                // In this order: whoever waits for the command (aio_flush, the
                // monitor) finds it done, and what its completion set off.
                done.complete(null);
                inFlight.finished();
                settled.countDown();
            }
        });
        boolean interrupted = false;
        while (settled.getCount() > 0) {
            try {
                settled.await();
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        return done;
    }

    /** flush prints nothing, not even a failure. */
    private static void flush(QemuIo io, List<String> argv) {
        try {
            io.node.flush();
        } catch (IOException e) {
            // qemu-io's flush returns the error to nobody.
        }
    }

    /** strerror() of a failed request. */
    static String strerror(IOException e) {
        return (e instanceof BlockIOException b ? b.errno() : Errno.EIO).text();
    }

    /** The usage line qemu-io prints when the options or operands do not fit. */
    static void usage(Console console, String name, String args, String oneLine) {
        console.out(name + " " + args + " -- " + oneLine + "\n");
    }
}
