package org.fleece.block.driver;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.fleece.block.BlockDriver;
import org.fleece.block.BlockIOException;
import org.fleece.block.BlockStatus;
import org.fleece.block.Child;
import org.fleece.block.ChildOpener;
import org.fleece.block.Errno;
import org.fleece.block.FileRegionSink;
import org.fleece.block.NodeOptions;
import org.fleece.block.Permission;
import org.fleece.block.Perms;
import org.fleece.block.driver.cbw.CopyBeforeWriteDriver;
import org.fleece.qapi.QmpError;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * snapshot-access over a copy-before-write node: the active disk as it was
 * when the filter went in. Reads, block status and discard are the filter's
 * snapshot operations; writes are refused (ENOTSUP, as in QEMU). It asks nothing of the filter,
 * so the guest keeps writing through it.
 */
final class SnapshotAccessDriver implements ShowsFileName {
    private final Child file;
    private final CopyBeforeWriteDriver filter;

    private SnapshotAccessDriver(Child file, CopyBeforeWriteDriver filter) {
        this.file = file;
        this.filter = filter;
    }

    /** qemu-storage-daemon 7.2 accepts any node here and fails later; Fleece says at once what it needs. */
    static BlockDriver open(JsonNode options, NodeOptions base, ChildOpener children) {
        Child file = children.open("file", options.get("file"));
        if (!(file.driver() instanceof CopyBeforeWriteDriver filter)) {
            throw QmpError.generic("snapshot-access needs a copy-before-write node as its file, not '"
                    + file.node().name() + "'");
        }
        return new SnapshotAccessDriver(file, filter);
    }

    @Override
    public Child file() {
        return file;
    }

    @Override
    public String name() {
        return "snapshot-access";
    }

    @Override
    public long size() throws IOException {
        return file.length();
    }

    @Override
    public void read(long offset, ByteBuffer dst) throws IOException {
        filter.snapshotRead(offset, dst);
    }

    @Override
    public boolean readFileRegion(long offset, long length, FileRegionSink sink) throws IOException {
        return filter.snapshotReadFileRegion(offset, length, sink);
    }

    @Override
    public void write(long offset, ByteBuffer src) throws IOException {
        throw new BlockIOException(Errno.ENOTSUP);
    }

    @Override
    public void writeZeroes(long offset, long length, int flags) throws IOException {
        throw new BlockIOException(Errno.ENOTSUP);
    }

    @Override
    public void discard(long offset, long length) throws IOException {
        filter.snapshotDiscard(offset, length);
    }

    @Override
    public BlockStatus blockStatus(long offset, long bytes) throws IOException {
        return filter.snapshotBlockStatus(offset, bytes);
    }

    @Override
    public long discardGranularity() {
        return filter.blockCopy().clusterSize();
    }

    @Override
    public void flush() {
    }

    @Override
    public Perms childPermissions(String role, boolean writable, int perm, int shared) {
        return new Perms(0, Permission.ALL);
    }

    @Override
    public long allocatedBytes() throws IOException {
        return file.driver().allocatedBytes();
    }

    @Override
    public boolean reportsDirtyFlag() {
        return false;
    }

    @Override
    public ObjectNode description() {
        ObjectNode description = JsonNodeFactory.instance.objectNode().put("driver", name());
        description.set("file", file.driver().description());
        return description;
    }

    @Override
    public boolean hasStrongOptions() {
        return file.driver().hasStrongOptions();
    }

    @Override
    public void close() {
    }
}
