package org.fleece.server.hmp;

import org.fleece.block.BlockNode;
import org.fleece.block.Errno;
import org.fleece.block.RequestFlags;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/**
 * write [-bcCfnpquz] [-P pattern | -s source_file] off len: writes a buffer
 * filled with the pattern (0xcd by default) or with the source file's bytes
 * repeated, or with -z writes zeroes (-u may unmap). -f is a write followed by
 * a flush, as QEMU emulates FUA for drivers without it. -c (compressed) and -b
 * (the VM state) are not supported by any of Fleece's drivers.
 */
final class WriteCommand {
    private static final int DEFAULT_PATTERN = 0xcd;

    private WriteCommand() {
    }

    private static void usage(Console console) {
        QemuIo.usage(console, "write", "[-bcCfnquz] [-P pattern | -s source_file] off len",
                "writes a number of bytes at a specified offset");
    }

    static void run(QemuIo io, List<String> argv) {
        Console console = io.console();
        boolean vmState = false;
        boolean compressed = false;
        boolean machine = false;
        boolean fua = false;
        boolean noFallback = false;
        boolean quiet = false;
        boolean unmap = false;
        boolean zeroes = false;
        boolean hasPattern = false;
        String sourceFile = null;
        int pattern = DEFAULT_PATTERN;
        GetOpt options = new GetOpt(argv, "bcCfnpP:qs:uz", console);
        for (int c = options.next(); c != -1; c = options.next()) {
            switch (c) {
                case 'b' -> vmState = true;
                case 'c' -> compressed = true;
                case 'C' -> machine = true;
                case 'f' -> fua = true;
                case 'n' -> noFallback = true;
                case 'p' -> { }
                case 'P' -> {
                    hasPattern = true;
                    pattern = Numbers.pattern(options.arg(), console);
                    if (pattern < 0) {
                        return;
                    }
                }
                case 'q' -> quiet = true;
                case 's' -> sourceFile = options.arg();
                case 'u' -> unmap = true;
                case 'z' -> zeroes = true;
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
        if (vmState && zeroes) {
            console.out("-b and -z cannot be specified at the same time\n");
            return;
        }
        if (fua && (vmState || compressed)) {
            console.out("-f and -b or -c cannot be specified at the same time\n");
            return;
        }
        if (noFallback && !zeroes) {
            console.out("-n requires -z to be specified\n");
            return;
        }
        if (unmap && !zeroes) {
            console.out("-u requires -z to be specified\n");
            return;
        }
        if ((zeroes ? 1 : 0) + (hasPattern ? 1 : 0) + (sourceFile != null ? 1 : 0) > 1) {
            console.out("Only one of -z, -P, and -s can be specified at the same time\n");
            return;
        }
        long offset = Numbers.size(operands.get(0), console);
        if (offset < 0) {
            return;
        }
        long count = Numbers.size(operands.get(1), console);
        if (count < 0) {
            return;
        }
        if (count > Numbers.MAX_REQUEST_BYTES && !noFallback) {
            console.out("length cannot exceed " + Numbers.MAX_REQUEST_BYTES + " without -n, given "
                    + operands.get(1) + "\n");
            return;
        }
        if (vmState && !sectorAligned(console, offset, count)) {
            return;
        }
        ByteBuffer buffer = null;
        if (!zeroes) {
            buffer = sourceFile != null ? fromFile(console, sourceFile, (int) count) : filled((int) count, pattern);
            if (buffer == null) {
                return;
            }
        }
        BlockNode node = io.node();
        long start = io.now();
        String failure = null;
        try {
            if (zeroes) {
                node.writeZeroes(offset, count, unmap ? RequestFlags.MAY_UNMAP : 0);
            } else if (vmState) {
                failure = Errno.ENOTSUP.text();
            } else if (compressed) {
                // The request checks come first: out of range is EIO, as for any write.
                failure = offset > node.length() || node.length() - offset < count ? Errno.EIO.text()
                        : Errno.ENOTSUP.text();
            } else {
                node.write(offset, buffer);
            }
            if (failure == null && fua) {
                node.flush();
            }
        } catch (IOException e) {
            failure = QemuIo.strerror(e);
        }
        long elapsed = io.now() - start;
        if (failure != null) {
            console.out("write failed: " + failure + "\n");
            return;
        }
        if (!quiet) {
            Report.print(console, "wrote", elapsed, offset, count, count, 1, machine);
        }
    }

    static ByteBuffer filled(int count, int pattern) {
        ByteBuffer buffer = ByteBuffer.allocate(count);
        Arrays.fill(buffer.array(), (byte) pattern);
        return buffer;
    }

    /** -s: the file's bytes, repeated to fill the buffer; errors on stderr as perror() words them. */
    private static ByteBuffer fromFile(Console console, String name, int count) {
        byte[] content;
        try {
            Path path = Path.of(name);
            if (Files.isDirectory(path)) {
                console.err(name + ": Is a directory\n");
                return null;
            }
            content = Files.readAllBytes(path);
        } catch (NoSuchFileException e) {
            console.err(name + ": No such file or directory\n");
            return null;
        } catch (AccessDeniedException e) {
            console.err(name + ": Permission denied\n");
            return null;
        } catch (IOException | RuntimeException e) {
            console.err(name + ": Input/output error\n");
            return null;
        }
        if (content.length == 0) {
            console.err(name + ": file is empty\n");
            return null;
        }
        ByteBuffer buffer = ByteBuffer.allocate(count);
        for (int i = 0; i < count; i++) {
            buffer.put(i, content[i % content.length]);
        }
        return buffer;
    }

    /** -b requests must be whole sectors. */
    static boolean sectorAligned(Console console, long offset, long count) {
        if (offset % 512 != 0) {
            console.out(offset + " is not a sector-aligned value for 'offset'\n");
            return false;
        }
        if (count % 512 != 0) {
            console.out(count + " is not a sector-aligned value for 'count'\n");
            return false;
        }
        return true;
    }
}
