package org.fleece.block;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.fleece.qapi.QmpError;
import org.fleece.qapi.json.QmpJsonWriter;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * An open driver instance: the I/O a node does and what queries show of it.
 * Drivers run their I/O on the caller's thread (never the control thread) and
 * may be called concurrently.
 */
public interface BlockDriver {
    /** The driver's name as blockdev-add spells it ("file", "raw", ...). */
    String name();

    /** Bytes the node exposes. */
    long size() throws IOException;

    /** Fills {@code dst} from {@code offset}; the range lies within {@link #size()}. */
    void read(long offset, ByteBuffer dst) throws IOException;

    void write(long offset, ByteBuffer src) throws IOException;

    /**
     * Hands the range to {@code sink} as a range of a host file when the node
     * stores it there byte for byte (raw over file does); false when it does
     * not, and the caller must {@link #read} it instead.
     */
    default boolean readFileRegion(long offset, long length, FileRegionSink sink) throws IOException {
        return false;
    }

    /**
     * The write counterpart of {@link #readFileRegion}: hands the sink the
     * host file range that stores the node's range byte for byte, for the
     * caller to fill (a copy offloaded to the kernel); false when there is
     * none, and the caller must {@link #write} instead. An empty range asks
     * whether the node hands over such ranges at all.
     */
    default boolean writeFileRegion(long offset, long length, FileRegionSink sink) throws IOException {
        return false;
    }

    /**
     * A hint that a job is about to write the range: a format may make the
     * metadata those writes will need now, together, while little written
     * data waits in the page cache for the syncs that order metadata, rather
     * than one table at a time in the middle of the copy. Nothing the guest
     * sees changes. The default has nothing to prepare.
     */
    default void prepareWrites(long offset, long length) throws IOException {
    }

    /**
     * Makes the range read as zeroes ({@link RequestFlags} MAY_UNMAP, NO_FALLBACK);
     * drivers that can do better than writing zero buffers override it.
     */
    default void writeZeroes(long offset, long length, int flags) throws IOException {
        if (RequestFlags.has(flags, RequestFlags.NO_FALLBACK)) {
            throw new BlockIOException(Errno.ENOTSUP);
        }
        ByteBuffer zeroes = ByteBuffer.allocate((int) Math.min(length, 1 << 20));
        for (long done = 0; done < length; ) {
            int chunk = (int) Math.min(zeroes.capacity(), length - done);
            write(offset + done, zeroes.clear().limit(chunk));
            done += chunk;
        }
    }

    /** Tells the driver the range is no longer needed; dropping the hint is always correct. */
    default void discard(long offset, long length) throws IOException {
    }

    void flush() throws IOException;

    /**
     * Changes the node's size (block_resize). Drivers that cannot resize keep
     * this default and fail with QEMU's words; the QmpError reaches the client as it is.
     */
    default void truncate(long size) throws IOException {
        throw QmpError.generic("Image format driver does not support resize");
    }

    /** What the range from offset holds; the default: this node's own data, all of it. */
    default BlockStatus blockStatus(long offset, long bytes) throws IOException {
        return new BlockStatus(bytes, true, false, true);
    }

    /** A blkdebug event reached this node (QEMU's bdrv_debug_event); only blkdebug listens. */
    default void debugEvent(BlkdebugEvent event) {
    }

    /** The role of the child QEMU keeps as the node's file, its primary child: "image" for blkdebug. */
    default String primaryChildRole() {
        return "file";
    }

    /**
     * Whether the node shows its primary child's data unchanged (QEMU's
     * is_filter): queries show that child as the node's backing image.
     */
    default boolean isFilter() {
        return false;
    }

    /**
     * Whether every request is done in memory, at once, with nothing to wait
     * for (null-co without latency-ns): callers may run it on the thread that
     * would otherwise hand it to another.
     */
    default boolean completesAtOnce() {
        return false;
    }

    /** Bytes the image takes on the host (query's "actual-size"), or -1 when it has no such notion. */
    long allocatedBytes() throws IOException;

    /** Whether query-named-block-nodes shows "dirty-flag" for this driver's image, as QEMU's image info does. */
    default boolean reportsDirtyFlag() {
        return true;
    }

    /**
     * Adds what the format knows of its image to query's ImageInfo (cluster
     * size, backing file names, "format-specific"); the graph adds the rest.
     */
    default void describeImage(ObjectNode image) {
    }

    /**
     * The options that define what this node shows, as QEMU reconstructs them
     * for a "json:{...}" file name: the driver, the options that change what
     * is read (QEMU's "strong" options) and the children's descriptions.
     */
    ObjectNode description();

    /** Whether the user set options the plain file name does not convey, so QEMU shows "json:{...}". */
    boolean hasStrongOptions();

    /** The plain file name: a path, "null-co://"; a format shows its file's. */
    String plainFilename();

    /** The file name QEMU shows for the node. */
    default String filename() {
        return hasStrongOptions() ? "json:" + QmpJsonWriter.toJson(description()) : plainFilename();
    }

    /** query-blockstats' "driver-specific" entry, or null when the driver keeps none (only file does in QEMU). */
    default ObjectNode statistics() {
        return null;
    }

    /**
     * What this node asks of its child in the given role, given what the
     * node's own parents ask of it (their perm ORed, their shared ANDed) and
     * whether the node is writable. The default is a filter's: pass it all down.
     */
    default Perms childPermissions(String role, boolean writable, int perm, int shared) {
        return Perms.filter(perm, shared);
    }

    /**
     * As above, for drivers whose needs depend on whether anything uses the
     * node at all (copy-before-write guards its file only while it has users).
     */
    default Perms childPermissions(String role, boolean writable, int perm, int shared, boolean used) {
        return childPermissions(role, writable, perm, shared);
    }

    /**
     * First step of a permission change of this node (what its parents now
     * need and share): a driver that must take something outside the graph
     * for it (image locks) takes it here, or fails with QEMU's text. Exactly
     * one of {@link #commitPermissions} and {@link #abortPermissions} follows.
     */
    default void preparePermissions(int perm, int shared) {
    }

    default void commitPermissions(int perm, int shared) {
    }

    default void abortPermissions() {
    }

    /** The format's cluster size, or 0 where there is none: the default bitmap granularity follows it. */
    default long clusterSize() {
        return 0;
    }

    /** The unit in which discarding frees space, where it is larger than a byte (snapshot-access: its filter's clusters); 0 when not known. */
    default long discardGranularity() {
        return 0;
    }

    /**
     * The node is in the graph with its permissions in effect: a format that
     * stores bitmaps puts those it loaded at open into the node's list now
     * (and marks them in use in the image, so that a crash leaves them
     * inconsistent), and keeps the node to store its bitmaps at close.
     */
    default void attachBitmaps(BlockNode node) {
    }

    /** Whether a persistent bitmap of that name and granularity could be stored in the image; QEMU's error if not. */
    default void checkCanStoreBitmap(String nodeName, String bitmap, long granularity) {
        throw QmpError.generic("Can't store persistent bitmaps to " + nodeName + ": Operation not supported");
    }

    /** Drops a persistent bitmap from the image (only drivers that store them have any). */
    default void removePersistentBitmap(String bitmap) {
    }

    void close() throws IOException;
}
