package org.fleece.block.driver;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.fleece.block.BlockDriver;
import org.fleece.block.BlockStatus;
import org.fleece.block.ChildOpener;
import org.fleece.block.NodeOptions;
import org.fleece.qapi.QmpError;

import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;

/**
 * `null-co`: a device of a given size that stores nothing. Reads return
 * zeroes (QEMU leaves the buffer as it was unless read-zeroes is set; zeroes
 * are a valid instance of "anything"), writes vanish, latency-ns delays each request.
 */
final class NullDriver implements BlockDriver {
    private static final long DEFAULT_SIZE = 1L << 30;

    private final long size;
    private final long latencyNanos;
    private final boolean readZeroes;
    /** size and read-zeroes as the user gave them: what QEMU's "json:" file name shows. */
    private final ObjectNode description;

    private NullDriver(long size, long latencyNanos, boolean readZeroes, ObjectNode description) {
        this.size = size;
        this.latencyNanos = latencyNanos;
        this.readZeroes = readZeroes;
        this.description = description;
    }

    static BlockDriver open(JsonNode options, NodeOptions base, ChildOpener children) {
        ObjectNode description = JsonNodeFactory.instance.objectNode().put("driver", "null-co");
        for (String strong : new String[] {"size", "read-zeroes"}) {
            if (options.has(strong)) {
                description.set(strong, options.get(strong));
            }
        }
        long size = options.path("size").asLong(DEFAULT_SIZE);
        if (size < 0) {
            throw QmpError.generic("Parameter 'size' expects a non-negative number below 2^64");
        }
        return new NullDriver(size, options.path("latency-ns").asLong(0), options.path("read-zeroes").asBoolean(false),
                description);
    }

    @Override
    public String name() {
        return "null-co";
    }

    @Override
    public long size() {
        return size;
    }

    @Override
    public boolean completesAtOnce() {
        return latencyNanos == 0;
    }

    @Override
    public void read(long offset, ByteBuffer dst) {
        delay();
        while (dst.hasRemaining()) {
            dst.put((byte) 0);
        }
    }

    @Override
    public void write(long offset, ByteBuffer src) {
        delay();
        src.position(src.limit());
    }

    private void delay() {
        if (latencyNanos > 0) {
            try {
                TimeUnit.NANOSECONDS.sleep(latencyNanos);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Nothing is stored: with read-zeroes the range reads as zeroes, as QEMU reports it. */
    @Override
    public BlockStatus blockStatus(long offset, long bytes) {
        return new BlockStatus(bytes, !readZeroes, readZeroes, true);
    }

    @Override
    public void flush() {
    }

    @Override
    public long allocatedBytes() {
        return 0;
    }

    @Override
    public boolean reportsDirtyFlag() {
        return false;
    }

    @Override
    public ObjectNode description() {
        return description.deepCopy();
    }

    @Override
    public boolean hasStrongOptions() {
        return description.size() > 1;
    }

    @Override
    public String plainFilename() {
        return "null-co://";
    }

    @Override
    public void close() {
    }
}
