package org.fleece.block.driver.cbw;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.fleece.block.BlockDriver;
import org.fleece.block.BlockIOException;
import org.fleece.block.BlockNode;
import org.fleece.block.BlockStatus;
import org.fleece.block.Child;
import org.fleece.block.ChildOpener;
import org.fleece.block.Errno;
import org.fleece.block.FileRegionSink;
import org.fleece.block.NodeOptions;
import org.fleece.block.driver.ShowsFileName;
import org.fleece.block.Permission;
import org.fleece.block.Perms;
import org.fleece.block.bitmap.DirtyBitmap;
import org.fleece.block.bitmap.InternalBitmap;
import org.fleece.block.copy.BlockCopy;
import org.fleece.block.copy.CopyBitmap;
import org.fleece.qapi.QmpError;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The copy-before-write filter: reads pass to {@code file} (the active disk);
 * before a write, write-zeroes or discard reaches it, the old data of the
 * clusters it touches goes to {@code target} (with {@code bitmap}, only
 * clusters dirty in it when the filter was opened). {@link #snapshotRead}
 * and friends show the disk as it was when the filter went in, for
 * snapshot-access; a backup job drives the same {@link BlockCopy} with its
 * workers.
 * <p>
 * Locking, stated once: the copy bitmap's lock guards which clusters are
 * copied, in flight and readable ({@code access}); a snapshot read decides
 * where each piece comes from and registers its reads of old data in the
 * active disk ({@link FrozenReads}) under that lock, and a guest write
 * waits for such reads only after its own copy is done. No I/O happens
 * under the lock.
 */
public final class CopyBeforeWriteDriver implements ShowsFileName {
    /** QEMU's block-copy cluster size where the target has none of its own. */
    private static final long DEFAULT_CLUSTER_SIZE = 64 * 1024;

    private final Child file;
    private final Child target;
    private final BlockCopy copy;
    /** Clusters snapshot reads may see: those to be copied at the start, less what the snapshot discarded. */
    private final BitSet access = new BitSet();
    /** Clusters whose old data a guest write saw copied (QEMU's done bitmap); queries show its count. */
    private final BitSet done = new BitSet();
    /** The bitmaps QEMU's filter shows without a name: on the filter, access and done; on the disk, what is left to copy. */
    private final InternalBitmap accessView = view(access);
    private final InternalBitmap doneView = view(done);
    private final InternalBitmap copyView = new InternalBitmap() {
        @Override
        public long granularity() {
            return copy.clusterSize();
        }

        @Override
        public long count() {
            return copy.bitmap().remainingBytes();
        }
    };
    private BlockNode self;
    private BlockNode disk;
    private final boolean breakSnapshot;
    private final long timeoutNanos;
    private final FrozenReads frozen = new FrozenReads();
    /** A backup with discard-source discards copied clusters through the filter's file edge, which then writes. */
    private volatile boolean discardSource;
    /** Set once a copy failed under on-cbw-error=break-snapshot: from then on the snapshot is gone. */
    private volatile IOException snapshotError;

    private CopyBeforeWriteDriver(Child file, Child target, BlockCopy copy, boolean breakSnapshot,
                                  long timeoutNanos) {
        this.file = file;
        this.target = target;
        this.copy = copy;
        this.breakSnapshot = breakSnapshot;
        this.timeoutNanos = timeoutNanos;
    }

    public static BlockDriver open(JsonNode options, NodeOptions base, ChildOpener children) {
        long minClusterSize = options.path("min-cluster-size").asLong(0);
        if (options.has("min-cluster-size") && Long.bitCount(minClusterSize) != 1) {
            throw QmpError.generic("min-cluster-size needs to be a power of 2");
        }
        Child file = children.open("file", options.get("file"));
        Child target = children.open("target", options.get("target"));
        DirtyBitmap bitmap = options.has("bitmap") ? findBitmap(options.get("bitmap"), children) : null;
        long length;
        try {
            length = file.length();
        } catch (IOException e) {
            throw QmpError.generic("Could not get the size of the file: " + Errno.describe(e));
        }
        long clusterSize = Math.max(DEFAULT_CLUSTER_SIZE, Math.max(target.driver().clusterSize(), minClusterSize));
        BlockCopy copy = new BlockCopy(file, target, clusterSize, length);
        CopyBeforeWriteDriver driver = new CopyBeforeWriteDriver(file, target, copy,
                options.path("on-cbw-error").asText("break-guest-write").equals("break-snapshot"),
                TimeUnit.SECONDS.toNanos(options.path("cbw-timeout").asLong(0)));
        if (bitmap != null) {
            bitmap.forEachDirtyRange(copy.bitmap()::set);
        } else {
            copy.bitmap().set(0, length);
        }
        copy.bitmap().forEachRemaining((offset, bytes) -> driver.access.set(Math.toIntExact(offset / clusterSize),
                Math.toIntExact((offset + bytes) / clusterSize)));
        copy.setListener(driver::copied);
        return driver;
    }

    private static DirtyBitmap findBitmap(JsonNode reference, ChildOpener children) {
        String nodeName = reference.get("node").asText();
        String name = reference.get("name").asText();
        BlockNode node = children.find(nodeName);
        if (node == null) {
            throw QmpError.generic("Node '" + nodeName + "' not found");
        }
        DirtyBitmap bitmap = node.bitmaps().find(name);
        if (bitmap == null) {
            throw QmpError.generic("Dirty bitmap '" + name + "' not found");
        }
        return bitmap;
    }

    /** Before the filter takes its users: a backup with discard-source writes (discards) the active disk. */
    public void setDiscardSource(boolean discardSource) {
        this.discardSource = discardSource;
    }

    /** The copier a backup job shares with the filter it inserted. */
    public BlockCopy blockCopy() {
        return copy;
    }

    @Override
    public Child file() {
        return file;
    }

    @Override
    public String name() {
        return "copy-before-write";
    }

    @Override
    public long size() throws IOException {
        return file.length();
    }

    @Override
    public void read(long offset, ByteBuffer dst) throws IOException {
        file.read(offset, dst);
    }

    @Override
    public void write(long offset, ByteBuffer src) throws IOException {
        beforeWrite(offset, src.remaining());
        file.write(offset, src);
    }

    @Override
    public void writeZeroes(long offset, long length, int flags) throws IOException {
        beforeWrite(offset, length);
        file.writeZeroes(offset, length, flags);
    }

    @Override
    public void discard(long offset, long length) throws IOException {
        beforeWrite(offset, length);
        file.discard(offset, length);
    }

    /**
     * The old data goes to the target first (within cbw-timeout), then the
     * write waits for snapshot reads of the old data in the same clusters.
     * A failed copy fails the write, or with break-snapshot breaks the
     * snapshot instead and lets this and every later write through.
     */
    private void beforeWrite(long offset, long bytes) throws IOException {
        if (snapshotError != null) {
            return;
        }
        try {
            copyInTime(offset, bytes);
        } catch (IOException e) {
            if (!breakSnapshot) {
                throw e;
            }
            snapshotError = e;
            return;
        }
        long cluster = copy.clusterSize();
        markDone(offset / cluster, (offset + bytes + cluster - 1) / cluster);
        try {
            frozen.awaitNone(offset / cluster * cluster, (offset + bytes + cluster - 1) / cluster * cluster);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException();
        }
    }

    private void markDone(long first, long end) {
        copy.bitmap().lock().lock();
        try {
            done.set(Math.toIntExact(first), Math.toIntExact(Math.min(end, copy.bitmap().clusters())));
        } finally {
            copy.bitmap().lock().unlock();
        }
    }

    /** A cluster set as a bitmap query counts it: bytes, the last cluster only as far as the disk goes. */
    private InternalBitmap view(BitSet clusters) {
        return new InternalBitmap() {
            @Override
            public long granularity() {
                return copy.clusterSize();
            }

            @Override
            public long count() {
                CopyBitmap bitmap = copy.bitmap();
                bitmap.lock().lock();
                try {
                    long bytes = clusters.cardinality() * copy.clusterSize();
                    long last = bitmap.clusters() - 1;
                    if (last >= 0 && clusters.get(Math.toIntExact(last))) {
                        bytes -= bitmap.clusters() * copy.clusterSize() - copy.length();
                    }
                    return bytes;
                } finally {
                    bitmap.lock().unlock();
                }
            }
        };
    }

    private void copyInTime(long offset, long bytes) throws IOException {
        if (timeoutNanos == 0) {
            copy.copyBeforeWrite(offset, bytes);
            return;
        }
        // The copy goes on after a timeout, as in QEMU; only the guest stops waiting for it.
        FutureTask<Void> task = new FutureTask<>(() -> {
            copy.copyBeforeWrite(offset, bytes);
            return null;
        });
        Thread.ofVirtual().name("cbw-copy").start(task);
        try {
            task.get(timeoutNanos, TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            throw new BlockIOException(Errno.ETIMEDOUT);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException();
        }
    }

    /** One piece of a snapshot request: up to end, from the active disk (old data still there) or the target. */
    private record Piece(long end, boolean fromDisk, long[] frozenRead) {
    }

    /**
     * Where the snapshot's data from offset comes from, as far as it comes
     * from one place: clusters not yet copied from the active disk (the read
     * is registered so that writes wait for it), copied ones from the target.
     */
    private Piece piece(long offset, long end, boolean register) throws IOException {
        CopyBitmap bitmap = copy.bitmap();
        long cluster = copy.clusterSize();
        bitmap.lock().lock();
        try {
            if (snapshotError != null) {
                throw new BlockIOException(Errno.EACCES);
            }
            long index = offset / cluster;
            if (!access.get(Math.toIntExact(index))) {
                throw new BlockIOException(Errno.EACCES);
            }
            boolean fromDisk = !bitmap.copied(index);
            long pieceEnd = Math.min(end, (index + 1) * cluster);
            while (pieceEnd < end) {
                long next = pieceEnd / cluster;
                if (!access.get(Math.toIntExact(next)) || !bitmap.copied(next) != fromDisk) {
                    break;
                }
                pieceEnd = Math.min(end, (next + 1) * cluster);
            }
            long[] frozenRead = fromDisk && register ? frozen.register(offset, pieceEnd) : null;
            return new Piece(pieceEnd, fromDisk, frozenRead);
        } finally {
            bitmap.lock().unlock();
        }
    }

    /**
     * A copy finished: if the snapshot let go of some of its clusters while
     * it ran (a backup with discard-source got there first), the old data
     * just written to the target is not wanted either.
     */
    private void copied(long offset, long bytes) {
        long cluster = copy.clusterSize();
        long first = offset / cluster;
        long end = (offset + bytes + cluster - 1) / cluster;
        CopyBitmap bitmap = copy.bitmap();
        List<long[]> unwanted = new ArrayList<>();
        bitmap.lock().lock();
        try {
            for (long index = first; index < end; index++) {
                if (!access.get(Math.toIntExact(index))) {
                    unwanted.add(new long[] {index * cluster, Math.min(cluster, copy.length() - index * cluster)});
                }
            }
        } finally {
            bitmap.lock().unlock();
        }
        for (long[] range : unwanted) {
            try {
                target.discard(range[0], range[1]);
            } catch (IOException e) {
                // It costs space in the fleecing image, not data.
            }
        }
    }

    /** snapshot-access's read: the data as it was when the filter went in; EACCES where the snapshot has none. */
    public void snapshotRead(long offset, ByteBuffer dst) throws IOException {
        long end = offset + dst.remaining();
        int base = dst.position();
        for (long position = offset; position < end; ) {
            Piece piece = piece(position, end, true);
            ByteBuffer slice = dst.slice(base + (int) (position - offset), (int) (piece.end() - position));
            try {
                (piece.fromDisk() ? file : target).read(position, slice);
            } finally {
                if (piece.frozenRead() != null) {
                    frozen.unregister(piece.frozenRead());
                }
            }
            position = piece.end();
        }
        dst.position(dst.limit());
    }

    /**
     * snapshot-access's read without a copy through memory, when the range
     * was all copied to the target and the target stores it in a host file.
     * Never from the active disk: sendfile leaves the page cache's pages in
     * the socket until the peer takes them, and a guest write let through
     * after the transfer would change them there (the client would get new
     * data). The target's copies are written once. False: the caller reads.
     * An empty range asks whether copied data would go so (the target's answer).
     */
    public boolean snapshotReadFileRegion(long offset, long length, FileRegionSink sink) throws IOException {
        if (length == 0) {
            return target.readFileRegion(0, 0, sink);
        }
        Piece piece = piece(offset, offset + length, false);
        return !piece.fromDisk() && piece.end() == offset + length && target.readFileRegion(offset, length, sink);
    }

    /** snapshot-access's block status: that of the node holding the snapshot's data there. */
    public BlockStatus snapshotBlockStatus(long offset, long bytes) throws IOException {
        Piece piece = piece(offset, offset + bytes, false);
        BlockStatus status = (piece.fromDisk() ? file : target).blockStatus(offset, piece.end() - offset);
        return status;
    }

    /**
     * snapshot-access's discard: the snapshot no longer needs whole clusters
     * of the range; they are not copied any more, reading them fails, and
     * the target lets go of them.
     */
    public void snapshotDiscard(long offset, long bytes) throws IOException {
        long cluster = copy.clusterSize();
        long start = (offset + cluster - 1) / cluster * cluster;
        long end = offset + bytes >= copy.length() ? copy.length() : (offset + bytes) / cluster * cluster;
        if (start >= end) {
            return;
        }
        CopyBitmap bitmap = copy.bitmap();
        bitmap.lock().lock();
        try {
            access.clear(Math.toIntExact(start / cluster), Math.toIntExact((end + cluster - 1) / cluster));
            bitmap.reset(start, end - start + cluster - 1);
        } finally {
            bitmap.lock().unlock();
        }
        target.discard(start, end - start);
    }

    @Override
    public void flush() throws IOException {
        file.flush();
    }

    @Override
    public BlockStatus blockStatus(long offset, long bytes) throws IOException {
        return file.blockStatus(offset, bytes);
    }

    @Override
    public boolean isFilter() {
        return true;
    }

    @Override
    public long allocatedBytes() throws IOException {
        return file.driver().allocatedBytes();
    }

    /**
     * Once anything uses the filter, nobody may write or resize the active
     * disk behind its back; the target must let it write. QEMU's rules.
     */
    @Override
    public Perms childPermissions(String role, boolean writable, int perm, int shared, boolean used) {
        if (role.equals("target")) {
            return new Perms(Permission.WRITE.bit(), Permission.ALL & ~Permission.RESIZE.bit());
        }
        Perms passed = Perms.filter(perm, shared);
        if (!used) {
            return passed;
        }
        int needed = passed.perm();
        if ((needed & Permission.WRITE.bit()) != 0) {
            needed |= Permission.CONSISTENT_READ.bit();
        }
        if (discardSource) {
            needed |= Permission.WRITE.bit();
        }
        return new Perms(needed, passed.shared() & ~(Permission.WRITE.bit() | Permission.RESIZE.bit()));
    }

    @Override
    public ObjectNode description() {
        ObjectNode description = JsonNodeFactory.instance.objectNode().put("driver", name());
        description.set("file", file.driver().description());
        description.set("target", target.driver().description());
        return description;
    }

    /** The target is an option the active disk's file name cannot convey: parents show "json:{...}". */
    @Override
    public boolean hasStrongOptions() {
        return true;
    }



    @Override
    public void attachBitmaps(BlockNode node) {
        self = node;
        disk = file.node();
        disk.bitmaps().addInternal(copyView);
        self.bitmaps().addInternal(doneView);
        self.bitmaps().addInternal(accessView);
    }

    @Override
    public void close() {
        if (self != null) {
            self.bitmaps().removeInternal(accessView);
            self.bitmaps().removeInternal(doneView);
            disk.bitmaps().removeInternal(copyView);
        }
    }
}
