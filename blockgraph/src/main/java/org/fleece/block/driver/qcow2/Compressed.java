package org.fleece.block.driver.qcow2;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

/** Reading compressed clusters: raw deflate streams (compression type zlib), one cluster each. */
final class Compressed {
    private Compressed() {
    }

    /** The guest cluster an L2 entry of a compressed cluster describes. */
    static ByteBuffer read(Qcow2File io, long entry, int clusterBits) throws IOException {
        long offset = L2Entry.compressedOffset(entry, clusterBits);
        ByteBuffer input = ByteBuffer.allocate(L2Entry.compressedLength(entry, clusterBits));
        io.read(offset, input);
        input.flip();
        ByteBuffer output = ByteBuffer.allocate(1 << clusterBits);
        Inflater inflater = new Inflater(true);
        try {
            inflater.setInput(input);
            while (output.hasRemaining() && !inflater.finished()) {
                if (inflater.inflate(output) == 0 && (inflater.needsInput() || inflater.needsDictionary())) {
                    break;
                }
            }
        } catch (DataFormatException e) {
            throw new org.fleece.block.BlockIOException(org.fleece.block.Errno.EIO);
        } finally {
            inflater.end();
        }
        if (output.hasRemaining()) {
            throw new org.fleece.block.BlockIOException(org.fleece.block.Errno.EIO);
        }
        return output.flip();
    }
}
