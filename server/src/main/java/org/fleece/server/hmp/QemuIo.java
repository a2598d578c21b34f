package org.fleece.server.hmp;

import org.fleece.block.BlockIOException;
import org.fleece.block.BlockBackend;
import org.fleece.block.BlockNode;
import org.fleece.block.Permission;
import org.fleece.qapi.QmpError;
import org.fleece.block.Errno;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongSupplier;

/**
 * One qemu-io command line run against a node, as HMP's qemu-io runs it: the
 * line is split at spaces, the first word names the command (or its one-letter
 * alias), the argument count is checked, a command that writes needs a node
 * that may be written, then the command parses its options and does its I/O.
 *
 * <p>The I/O is done synchronously on the caller's thread (the control
 * thread): QEMU's HMP qemu-io also blocks the monitor until a request is done.
 * The aio_ commands therefore complete before they return.
 */
final class QemuIo {
    /** A qemu-io command; argv holds the command word first. */
    @FunctionalInterface
    interface Command {
        void run(QemuIo io, List<String> argv);
    }

    private record Entry(String name, String alias, int minArgs, int maxArgs, boolean writes, Command command) {
    }

    private static final List<Entry> COMMANDS = List.of(
            new Entry("aio_flush", null, 0, 0, false, (io, argv) -> { }),
            new Entry("aio_write", null, 2, -1, true, AioWriteCommand::run),
            new Entry("discard", "d", 2, -1, true, DiscardCommand::run),
            new Entry("flush", "f", 0, 0, false, QemuIo::flush),
            new Entry("map", null, 0, 0, false, MapCommand::run),
            new Entry("read", "r", 2, -1, false, ReadCommand::run),
            new Entry("write", "w", 2, -1, true, WriteCommand::run));

    private final BlockBackend backend;
    private final BlockNode node;
    private final Console console;
    private final LongSupplier clock;

    /** clock: nanoseconds of CLOCK_MONOTONIC (System::nanoTime on Linux); tests pass their own. */
    QemuIo(BlockBackend backend, Console console, LongSupplier clock) {
        this.backend = backend;
        this.node = backend.node();
        this.console = console;
        this.clock = clock;
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

    void run(String line) {
        List<String> argv = new ArrayList<>();
        for (String word : line.split(" ", -1)) {
            if (!word.isEmpty()) {
                argv.add(word);
            }
        }
        if (argv.isEmpty()) {
            return;
        }
        String name = argv.get(0);
        Entry entry = COMMANDS.stream().filter(e -> e.name.equals(name) || name.equals(e.alias)).findFirst()
                .orElse(null);
        if (entry == null) {
            console.err("command \"" + name + "\" not found\n");
            return;
        }
        int args = argv.size() - 1;
        if (args < entry.minArgs || (entry.maxArgs != -1 && args > entry.maxArgs)) {
            String expected = entry.maxArgs == -1 ? "at least " + entry.minArgs + " arguments"
                    : entry.minArgs == entry.maxArgs ? entry.minArgs + " arguments"
                    : "between " + entry.minArgs + " and " + entry.maxArgs + " arguments";
            console.err("bad argument count " + args + " to " + name + ", expected " + expected + "\n");
            return;
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
                return;
            }
        }
        entry.command.run(this, argv);
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
