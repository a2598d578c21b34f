package org.fleece.block.driver;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.fleece.block.BlkdebugEvent;
import org.fleece.block.BlockDriver;
import org.fleece.block.Child;
import org.fleece.block.BlockStatus;
import org.fleece.block.Errno;
import org.fleece.block.FileRegionSink;
import org.fleece.block.ChildOpener;
import org.fleece.block.NodeOptions;
import org.fleece.block.Permission;
import org.fleece.block.Perms;
import org.fleece.qapi.QmpError;

import java.io.IOException;
import java.nio.ByteBuffer;

/** The `raw` format: its child's bytes as they are, optionally a window of them (offset, size). */
final class RawDriver implements BlockDriver {
    private final Child file;
    private final long offset;
    private volatile long size;
    /** offset and size as the user gave them: what QEMU's "json:" file name shows. */
    private final ObjectNode strong;

    private RawDriver(Child file, long offset, long size, ObjectNode strong) {
        this.file = file;
        this.offset = offset;
        this.size = size;
        this.strong = strong;
    }

    static BlockDriver open(JsonNode options, NodeOptions base, ChildOpener children) {
        ObjectNode strong = JsonNodeFactory.instance.objectNode();
        for (String name : new String[] {"offset", "size"}) {
            if (options.has(name)) {
                if (options.get(name).asLong() < 0) {
                    throw QmpError.generic("Parameter '" + name + "' expects a non-negative number below 2^64");
                }
                strong.set(name, options.get(name));
            }
        }
        Child file = children.open("file", options.get("file"));
        long offset = options.path("offset").asLong(0);
        long fileSize;
        try {
            fileSize = file.length();
        } catch (IOException e) {
            throw QmpError.generic("Could not get the size of the file: " + Errno.describe(e));
        }
        if (offset > fileSize) {
            throw QmpError.generic("Offset (" + offset + ") cannot be greater than size of the containing file ("
                    + fileSize + ")");
        }
        long size = fileSize - offset;
        if (options.has("size")) {
            size = options.get("size").asLong();
            if (size % 512 != 0) {
                throw QmpError.generic("Specified size is not multiple of 512");
            }
            if (size > fileSize - offset) {
                throw QmpError.generic("The sum of offset (" + offset + ") and size (" + size
                        + ") has to be smaller or equal to the  actual size of the containing file (" + fileSize + ")");
            }
        }
        return new RawDriver(file, offset, size, strong);
    }

    @Override
    public String name() {
        return "raw";
    }

    @Override
    public long size() {
        return size;
    }

    /** QEMU treats offset 0 as no offset at all, but any size as a window. */
    private boolean window() {
        return offset != 0 || strong.has("size");
    }

    /**
     * A window (a size, or an offset other than 0) holds data whose size must not change
     * under it; the whole file is passed through as a filter would. Either way
     * raw asks for write and resize only when its own users do.
     */
    @Override
    public Perms childPermissions(String role, boolean writable, int perm, int shared) {
        Perms wanted = !window() ? Perms.filter(perm, shared)
                : Perms.storage(perm, shared, writable, false, true);
        int passedOnly = Permission.WRITE.bit() | Permission.RESIZE.bit();
        return new Perms((wanted.perm() & ~passedOnly) | (perm & passedOnly), wanted.shared());
    }

    @Override
    public void read(long position, ByteBuffer dst) throws IOException {
        file.debugEvent(BlkdebugEvent.READ_AIO);
        file.read(offset + position, dst);
    }

    @Override
    public boolean readFileRegion(long position, long length, FileRegionSink sink) throws IOException {
        return file.readFileRegion(offset + position, length, sink);
    }

    @Override
    public void prepareWrites(long position, long length) throws IOException {
        file.prepareWrites(offset + position, length);
    }

    @Override
    public boolean writeFileRegion(long position, long length, FileRegionSink sink) throws IOException {
        return file.writeFileRegion(offset + position, length, sink);
    }

    @Override
    public void write(long position, ByteBuffer src) throws IOException {
        file.debugEvent(BlkdebugEvent.WRITE_AIO);
        file.write(offset + position, src);
    }

    /** Resizes the file below, unless the user fixed this node's size (QEMU refuses that too). */
    @Override
    public void truncate(long newSize) throws IOException {
        if (strong.has("size")) {
            throw QmpError.generic("Cannot resize fixed-size raw disks");
        }
        if (Long.MAX_VALUE - offset < newSize) {
            throw QmpError.generic("Disk size too large for the chosen offset");
        }
        file.driver().truncate(offset + newSize);
        size = newSize;
    }

    @Override
    public void writeZeroes(long position, long length, int flags) throws IOException {
        file.writeZeroes(offset + position, length, flags);
    }

    @Override
    public void discard(long position, long length) throws IOException {
        file.discard(offset + position, length);
    }

    @Override
    public BlockStatus blockStatus(long position, long bytes) throws IOException {
        return file.blockStatus(offset + position, bytes);
    }

    @Override
    public void flush() throws IOException {
        file.flush();
    }

    @Override
    public long allocatedBytes() throws IOException {
        return file.driver().allocatedBytes();
    }

    /** QEMU asks the file below for the image's state. */
    @Override
    public boolean reportsDirtyFlag() {
        return file.driver().reportsDirtyFlag();
    }

    @Override
    public ObjectNode description() {
        ObjectNode description = JsonNodeFactory.instance.objectNode().put("driver", "raw");
        description.setAll(strong);
        description.set("file", file.driver().description());
        return description;
    }

    @Override
    public boolean hasStrongOptions() {
        return !strong.isEmpty() || file.driver().hasStrongOptions();
    }

    @Override
    public String plainFilename() {
        return file.driver().plainFilename();
    }

    @Override
    public void close() {
    }
}
