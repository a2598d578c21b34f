package org.fleece.block.copy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;

/**
 * Copies a range from one host file to another inside the kernel
 * (FileChannel#transferTo between files is copy_file_range on Linux), the
 * way cp does: the data never enters the heap.
 */
final class FileRangeCopy {
    private FileRangeCopy() {
    }

    /**
     * transferTo writes at the target channel's position, which the channel
     * shares: copies into one channel take turns on it. Every other write to
     * these files is positional, so nothing else depends on that position.
     */
    static void copy(FileChannel in, long inPosition, FileChannel out, long outPosition, long length)
            throws IOException {
        synchronized (out) {
            out.position(outPosition);
            long done = 0;
            while (done < length) {
                long moved = in.transferTo(inPosition + done, length - done, out);
                if (moved <= 0) {
                    zeroFill(out, outPosition + done, length - done);
                    return;
                }
                done += moved;
            }
        }
    }

    /** What lies past the source file's end reads as zeroes. */
    private static void zeroFill(FileChannel out, long position, long length) throws IOException {
        ByteBuffer zeroes = ByteBuffer.allocate((int) Math.min(length, 1 << 20));
        for (long done = 0; done < length; ) {
            zeroes.clear().limit((int) Math.min(zeroes.capacity(), length - done));
            done += out.write(zeroes, position + done);
        }
    }
}
