package org.fleece.server.hmp;

import org.fleece.block.Errno;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;

/**
 * read [-bCpqv] [-P pattern [-s off] [-l len]] off len: reads into a buffer
 * that starts out filled with 0xab, checks the pattern over the whole read or
 * the -s/-l part of it, dumps it with -v, reports unless -q. -b (the VM state)
 * is not supported by any of Fleece's drivers.
 */
final class ReadCommand {
    private static final int INITIAL_FILL = 0xab;

    private ReadCommand() {
    }

    private static void usage(Console console) {
        QemuIo.usage(console, "read", "[-abCqv] [-P pattern [-s off] [-l len]] off len",
                "reads a number of bytes at a specified offset");
    }

    static void run(QemuIo io, List<String> argv) {
        Console console = io.console();
        boolean vmState = false;
        boolean machine = false;
        boolean quiet = false;
        boolean verbose = false;
        boolean checkPattern = false;
        boolean hasStart = false;
        boolean hasLength = false;
        int pattern = 0;
        long patternStart = 0;
        long patternLength = 0;
        GetOpt options = new GetOpt(argv, "bCl:pP:qs:v", console);
        for (int c = options.next(); c != -1; c = options.next()) {
            switch (c) {
                case 'b' -> vmState = true;
                case 'C' -> machine = true;
                case 'l' -> {
                    hasLength = true;
                    patternLength = Numbers.size(options.arg(), console);
                    if (patternLength < 0) {
                        return;
                    }
                }
                case 'p' -> { }
                case 'P' -> {
                    checkPattern = true;
                    pattern = Numbers.pattern(options.arg(), console);
                    if (pattern < 0) {
                        return;
                    }
                }
                case 'q' -> quiet = true;
                case 's' -> {
                    hasStart = true;
                    patternStart = Numbers.size(options.arg(), console);
                    if (patternStart < 0) {
                        return;
                    }
                }
                case 'v' -> verbose = true;
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
        if (!checkPattern && (hasLength || hasStart)) {
            usage(console);
            return;
        }
        if (!hasLength) {
            patternLength = count - patternStart;
        }
        if (patternLength < 0 || patternLength > count - patternStart) {
            console.out("pattern verification range exceeds end of read data\n");
            return;
        }
        if (vmState && !WriteCommand.sectorAligned(console, offset, count)) {
            return;
        }
        ByteBuffer buffer = ByteBuffer.allocate((int) count);
        Arrays.fill(buffer.array(), (byte) INITIAL_FILL);
        long start = io.now();
        String failure = null;
        try {
            if (vmState) {
                failure = Errno.ENOTSUP.text();
            } else {
                io.node().read(offset, buffer.duplicate());
            }
        } catch (IOException e) {
            failure = QemuIo.strerror(e);
        }
        long elapsed = io.now() - start;
        if (failure != null) {
            console.out("read failed: " + failure + "\n");
            return;
        }
        if (checkPattern) {
            for (long i = patternStart; i < patternStart + patternLength; i++) {
                if ((buffer.get((int) i) & 0xff) != pattern) {
                    console.out("Pattern verification failed at offset " + (offset + patternStart) + ", "
                            + patternLength + " bytes\n");
                    break;
                }
            }
        }
        if (quiet) {
            return;
        }
        if (verbose) {
            Report.dump(console, buffer, offset, (int) count);
        }
        Report.print(console, "read", elapsed, offset, count, count, 1, machine);
    }
}
