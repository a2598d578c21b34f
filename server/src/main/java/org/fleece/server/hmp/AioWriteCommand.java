package org.fleece.server.hmp;

import org.fleece.block.RequestFlags;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;

/**
 * aio_write [-Cfiquz] [-P pattern] off len [len..]: one write of the lengths
 * added up (each one a buffer in QEMU), filled with the pattern (0xcd by
 * default), or with -z one write of zeroes. The monitor waits for it unless
 * a blkdebug breakpoint holds it (see {@link QemuIo}); the result lines are
 * those QEMU prints when the request completes. Quirks of
 * qemu-io 7.2 kept on purpose: -P is not refused with -z (the pattern is
 * ignored), and a -z write reports the time since the clock's origin (QEMU
 * never starts its stopwatch for it), i.e. the host's uptime.
 */
final class AioWriteCommand {
    private static final int DEFAULT_PATTERN = 0xcd;

    private AioWriteCommand() {
    }

    private static void usage(Console console) {
        QemuIo.usage(console, "aio_write", "[-Cfiquz] [-P pattern] off len [len..]",
                "asynchronously writes a number of bytes");
    }

    static void run(QemuIo io, List<String> argv) {
        Console console = io.console();
        boolean machine = false;
        boolean fua = false;
        boolean quiet = false;
        boolean unmap = false;
        boolean zeroes = false;
        int pattern = DEFAULT_PATTERN;
        GetOpt options = new GetOpt(argv, "CfiqP:uz", console);
        for (int c = options.next(); c != -1; c = options.next()) {
            switch (c) {
                case 'C' -> machine = true;
                case 'f' -> fua = true;
                case 'q' -> quiet = true;
                case 'u' -> unmap = true;
                case 'P' -> {
                    pattern = Numbers.pattern(options.arg(), console);
                    if (pattern < 0) {
                        return;
                    }
                }
                case 'i' -> {
                    // Only counts an invalid request in the (absent) statistics.
                    console.out("injecting invalid write request\n");
                    return;
                }
                case 'z' -> zeroes = true;
                default -> {
                    usage(console);
                    return;
                }
            }
        }
        List<String> operands = options.operands();
        if (operands.size() < 2) {
            usage(console);
            return;
        }
        if (zeroes && operands.size() != 2) {
            console.out("-z supports only a single length parameter\n");
            return;
        }
        if (unmap && !zeroes) {
            console.out("-u requires -z to be specified\n");
            return;
        }
        long offset = Numbers.size(operands.get(0), console);
        if (offset < 0) {
            return;
        }
        long count;
        long start;
        if (zeroes) {
            count = Numbers.size(operands.get(1), console);
            if (count < 0) {
                return;
            }
            start = 0;
        } else {
            count = 0;
            for (String arg : operands.subList(1, operands.size())) {
                long length = Numbers.size(arg, console);
                if (length < 0) {
                    return;
                }
                if (length > Numbers.MAX_REQUEST_BYTES) {
                    console.out("Argument '" + arg + "' exceeds maximum size " + Numbers.MAX_REQUEST_BYTES + "\n");
                    return;
                }
                if (count > Numbers.MAX_REQUEST_BYTES - length) {
                    console.out("The total number of bytes exceed the maximum size " + Numbers.MAX_REQUEST_BYTES
                            + "\n");
                    return;
                }
                count += length;
            }
            start = io.now();
        }
        String failure = null;
        try {
            if (zeroes) {
                io.node().writeZeroes(offset, count, unmap ? RequestFlags.MAY_UNMAP : 0);
            } else {
                ByteBuffer buffer = WriteCommand.filled((int) count, pattern);
                io.node().write(offset, buffer);
            }
            if (fua) {
                io.node().flush();
            }
        } catch (IOException e) {
            failure = QemuIo.strerror(e);
        }
        long elapsed = io.now() - start;
        if (failure != null) {
            console.out("aio_write failed: " + failure + "\n");
            return;
        }
        if (!quiet) {
            Report.print(console, "wrote", elapsed, offset, count, count, 1, machine);
        }
    }
}
