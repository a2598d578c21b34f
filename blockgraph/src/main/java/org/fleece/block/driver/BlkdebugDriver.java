package org.fleece.block.driver;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.fleece.block.BlkdebugEvent;
import org.fleece.block.BlockDriver;
import org.fleece.block.BlockIOException;
import org.fleece.block.Child;
import org.fleece.block.BlockStatus;
import org.fleece.block.Breakpoints;
import org.fleece.block.ChildOpener;
import org.fleece.block.Errno;
import org.fleece.block.NodeOptions;
import org.fleece.block.Perms;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;

/**
 * `blkdebug`: a filter over its "image" child that fails requests and holds
 * them at breakpoints when its rules say so, for tests. Events reach it from
 * the nodes above (raw's read_aio, the request path's pwritev, ...); a request
 * that passes its rules goes to the image unchanged.
 */
final class BlkdebugDriver implements BlockDriver, Breakpoints {
    private final Child image;
    private final BlkdebugState state;
    /** The strong options, flattened as QEMU shows them in a "json:" file name. */
    private final ObjectNode strong;
    /** Permission bits asked of the image beyond what the parents need (take-child-perms)... */
    private final int take;
    /** ...and denied to others beyond what the parents deny (unshare-child-perms). */
    private final int unshare;

    private BlkdebugDriver(Child image, BlkdebugState state, ObjectNode strong, int take, int unshare) {
        this.image = image;
        this.state = state;
        this.strong = strong;
        this.take = take;
        this.unshare = unshare;
    }

    static BlockDriver open(JsonNode options, NodeOptions base, ChildOpener children) {
        return open(options, base, children, System.out);
    }

    /** out: where breakpoint messages go (the daemon's stdout, as QEMU prints them there). */
    static BlkdebugDriver open(JsonNode options, NodeOptions base, ChildOpener children, PrintStream out) {
        BlkdebugOptions.checkBeforeImage(options);
        BlkdebugState state = new BlkdebugState(out);
        BlkdebugOptions.addRules(options, state);
        Child image = children.open("image", options.get("image"));
        BlkdebugOptions.checkAfterImage(options);
        BlkdebugDriver driver = new BlkdebugDriver(image, state, BlkdebugOptions.strong(options, base.inline()),
                BlkdebugOptions.permissions(options, "take-child-perms"),
                BlkdebugOptions.permissions(options, "unshare-child-perms"));
        state.fire(BlkdebugEvent.NONE);
        return driver;
    }

    @Override
    public String name() {
        return "blkdebug";
    }

    @Override
    public long size() throws IOException {
        return image.length();
    }

    @Override
    public void debugEvent(BlkdebugEvent event) {
        state.fire(event);
    }

    @Override
    public void read(long offset, ByteBuffer dst) throws IOException {
        state.check(offset, dst.remaining(), BlkdebugIOType.READ);
        image.read(offset, dst);
    }

    @Override
    public void write(long offset, ByteBuffer src) throws IOException {
        state.check(offset, src.remaining(), BlkdebugIOType.WRITE);
        image.write(offset, src);
    }

    @Override
    public void writeZeroes(long offset, long length, int flags) throws IOException {
        state.check(offset, length, BlkdebugIOType.WRITE_ZEROES);
        image.writeZeroes(offset, length, flags);
    }

    @Override
    public void discard(long offset, long length) throws IOException {
        state.check(offset, length, BlkdebugIOType.DISCARD);
        image.discard(offset, length);
    }

    /** A flush covers no bytes: only rules without a sector fail it. */
    @Override
    public void flush() throws IOException {
        state.check(0, 0, BlkdebugIOType.FLUSH);
        image.flush();
    }

    @Override
    public BlockStatus blockStatus(long offset, long bytes) throws IOException {
        state.check(offset, bytes, BlkdebugIOType.BLOCK_STATUS);
        return image.blockStatus(offset, bytes);
    }

    @Override
    public void truncate(long size) throws IOException {
        image.driver().truncate(size);
    }

    /** QEMU asks a protocol driver, which blkdebug is, and gets no answer: no actual-size. */
    @Override
    public long allocatedBytes() {
        return -1;
    }

    @Override
    public boolean reportsDirtyFlag() {
        return image.driver().reportsDirtyFlag();
    }

    /** A filter's permissions, changed by take-child-perms and unshare-child-perms (tests use them to force conflicts). */
    @Override
    public Perms childPermissions(String role, boolean writable, int perm, int shared) {
        Perms filter = Perms.filter(perm, shared);
        return new Perms(filter.perm() | take, filter.shared() & ~unshare);
    }

    @Override
    public String primaryChildRole() {
        return "image";
    }

    @Override
    public boolean isFilter() {
        return true;
    }

    @Override
    public ObjectNode description() {
        ObjectNode description = JsonNodeFactory.instance.objectNode().put("driver", "blkdebug");
        description.setAll(strong);
        description.set("image", image.driver().description());
        return description;
    }

    @Override
    public boolean hasStrongOptions() {
        return !strong.isEmpty() || image.driver().hasStrongOptions();
    }

    /** "blkdebug:CONFIG:IMAGE"; Fleece takes no config file, so the middle is empty. */
    @Override
    public String plainFilename() {
        return "blkdebug::" + image.driver().plainFilename();
    }

    @Override
    public void breakpoint(String event, String tag) throws BlockIOException {
        state.breakpoint(BlkdebugEvent.find(event).orElseThrow(() -> new BlockIOException(Errno.ENOENT)), tag);
    }

    @Override
    public void removeBreakpoint(String tag) throws BlockIOException {
        if (!state.removeBreakpoint(tag)) {
            throw new BlockIOException(Errno.ENOENT);
        }
    }

    @Override
    public void resume(String tag) throws BlockIOException {
        if (!state.resume(tag)) {
            throw new BlockIOException(Errno.ENOENT);
        }
    }

    @Override
    public boolean isSuspended(String tag) {
        return state.isSuspended(tag);
    }

    @Override
    public void awaitSuspended(String tag) {
        state.awaitSuspended(tag);
    }

    @Override
    public void close() {
    }
}
