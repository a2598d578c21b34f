package org.fleece.block;

import java.io.IOException;
import java.nio.channels.FileChannel;

/**
 * Takes a node's bytes where they lie in a host file, so a caller can move
 * them on without reading them into memory (FileChannel#transferTo, that is
 * sendfile). It runs while the node counts the read as in flight: a drain
 * waits for it, and the file stays open meanwhile.
 */
@FunctionalInterface
public interface FileRegionSink {
    /**
     * The bytes are those of {@code file} from {@code position} on, {@code length} of them;
     * the file may end earlier, and what lies past its end reads as zeroes.
     */
    void transfer(FileChannel file, long position, long length) throws IOException;
}
