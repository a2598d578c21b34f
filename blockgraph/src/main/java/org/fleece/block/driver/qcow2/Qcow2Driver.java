package org.fleece.block.driver.qcow2;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.fleece.block.BlockDriver;
import org.fleece.block.BlockIOException;
import org.fleece.block.BlockNode;
import org.fleece.block.Child;
import org.fleece.block.BlockStatus;
import org.fleece.block.ChildOpener;
import org.fleece.block.Errno;
import org.fleece.block.FileRegionSink;
import org.fleece.block.NodeOptions;
import org.fleece.block.Perms;
import org.fleece.block.RequestFlags;
import org.fleece.qapi.QmpError;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * The qcow2 format over a file child, with an optional backing node.
 * <p>
 * Concurrency: metadata (L1, L2 cache, refcounts, allocator) changes under
 * one lock, held only for lookups and table updates, never across data I/O.
 * Reads and writes of clusters already allocated in place do their I/O
 * unlocked and concurrently; writes that must allocate claim their guest
 * clusters ({@link ClusterClaims}) so two of them never allocate the same
 * cluster. {@link Qcow2Metadata} keeps the crash-safe write order.
 */
public final class Qcow2Driver implements BlockDriver {
    private final Child file;
    /** Attached once the node is in the graph (see {@link ChildOpener#openLater}); fixed from then on. */
    private volatile Child backing;
    /** The backing node was given in the options rather than found through the header. */
    private final boolean backingGiven;
    private final Qcow2Header header;
    private final Qcow2Metadata metadata;
    private final Qcow2Bitmaps bitmaps;
    private final ClusterClaims claims = new ClusterClaims();
    private final FileRegionWrite fileRegionWrite;
    private final int clusterBits;
    private final int clusterSize;
    private final boolean zeroFlag;
    private final boolean unmap;
    private volatile long size;

    private Qcow2Driver(Child file, boolean backingGiven, Qcow2Header header, Qcow2Metadata metadata,
                        Qcow2Bitmaps bitmaps, boolean unmap) {
        this.file = file;
        this.backingGiven = backingGiven;
        this.header = header;
        this.metadata = metadata;
        this.bitmaps = bitmaps;
        this.clusterBits = header.clusterBits();
        this.clusterSize = header.clusterSize();
        this.zeroFlag = header.version() >= 3;
        this.unmap = unmap;
        this.size = header.size();
        this.fileRegionWrite = new FileRegionWrite(metadata, claims, clusterBits, zeroFlag);
    }

    public static BlockDriver open(JsonNode options, NodeOptions base, ChildOpener children) {
        Child file = children.open("file", options.get("file"));
        Qcow2Header header = Qcow2Open.readHeader(file, options, base, children);
        Qcow2Options qcow2Options = Qcow2Options.of(options, base, header);
        boolean writable = !base.readOnly();
        Qcow2Metadata metadata;
        try {
            metadata = Qcow2Metadata.open(new Qcow2File(file), header, qcow2Options, writable);
        } catch (IOException e) {
            throw QmpError.generic("Could not open '" + file.driver().plainFilename() + "': " + Errno.describe(e));
        }
        if (writable && (header.incompatibleFeatures() & Qcow2Header.INCOMPAT_DIRTY) != 0) {
            repairDirty(metadata, header);
        }
        Qcow2Bitmaps bitmaps;
        try {
            bitmaps = Qcow2Bitmaps.open(metadata, header, writable, nodeLength(header.size()));
        } catch (RuntimeException e) {
            try {
                metadata.close();
            } catch (IOException ignored) {
                // The open fails with the bitmap error; nothing was changed that a close must keep.
            }
            throw e;
        }
        JsonNode backingRef = options.get("backing");
        boolean disabled = backingRef != null && backingRef.isNull();
        Qcow2Driver driver = new Qcow2Driver(file, backingRef != null && !disabled, header, metadata, bitmaps,
                base.discard().equals("unmap"));
        if (backingRef == null && header.backingFile() != null) {
            String full = BackingFile.fullName(file.driver().plainFilename(), header.backingFile());
            backingRef = BackingFile.options(full, header.backingFormat());
        }
        if (backingRef != null && !disabled) {
            children.openLater("backing", backingRef, "Could not open backing file: ", node -> driver.backing = node);
        }
        return driver;
    }

    private static void repairDirty(Qcow2Metadata metadata, Qcow2Header header) {
        try {
            metadata.repairRefcounts(header);
        } catch (IOException e) {
            System.err.println("qcow2: the refcounts of a dirty image could not be repaired: " + e.getMessage());
            try {
                metadata.close();
            } catch (IOException ignored) {
                // The open fails with the repair's error; the image stays dirty for the next try.
            }
            throw QmpError.generic("Could not repair dirty image: Input/output error");
        }
    }

    @Override
    public String name() {
        return "qcow2";
    }

    @Override
    public long size() {
        return size;
    }

    Qcow2Header header() {
        return header;
    }

    Qcow2Bitmaps bitmaps() {
        return bitmaps;
    }

    /** The node's length as the graph sees it (whole sectors): what bitmaps cover. */
    private static long nodeLength(long size) {
        return (size + 511) & ~511L;
    }

    Qcow2Metadata metadata() {
        return metadata;
    }

    // ---- reads

    @Override
    public void read(long offset, ByteBuffer dst) throws IOException {
        metadata.enterIo();
        try {
            long[] entries = entryArray(offset, dst.remaining());
            while (dst.hasRemaining()) {
                long cluster = offset >>> clusterBits;
                int inCluster = (int) (offset & (clusterSize - 1));
                int wanted = clustersSpanned(inCluster, dst.remaining(), cluster);
                metadata.entries(cluster, wanted, entries);
                int run = sameKindRun(entries, wanted);
                int bytes = (int) Math.min(dst.remaining(), (long) run * clusterSize - inCluster);
                ByteBuffer part = dst.slice(dst.position(), bytes);
                readRun(entries[0], offset, inCluster, part);
                dst.position(dst.position() + bytes);
                offset += bytes;
            }
        } finally {
            metadata.leaveIo();
        }
    }

    /** Room for the L2 entries of the clusters a request touches, at most one table's worth at a time. */
    private long[] entryArray(long offset, long bytes) {
        long clusters = ((offset & (clusterSize - 1)) + bytes + clusterSize - 1) >>> clusterBits;
        return new long[(int) Math.max(1, Math.min(clusters, metadata.l2Entries()))];
    }

    /**
     * Hands the range over as a range of the file when it lies in host
     * clusters that follow each other (the NBD server then sends it by
     * sendfile), or to the backing node where this layer has nothing;
     * anything else (zeroes, compressed or scattered clusters) is left to
     * {@link #read}. The clusters cannot be freed and reused while the
     * transfer runs. An empty range asks whether the file keeps the data at
     * all, which tells the NBD server it may serve requests on its own thread.
     */
    @Override
    public boolean readFileRegion(long offset, long length, FileRegionSink sink) throws IOException {
        Child host = metadata.file().child();
        if (length == 0) {
            return host.readFileRegion(0, 0, sink);
        }
        metadata.enterIo();
        try {
            long cluster = offset >>> clusterBits;
            int inCluster = (int) (offset & (clusterSize - 1));
            int wanted = clustersSpanned(inCluster, length, cluster);
            if ((long) wanted * clusterSize - inCluster < length) {
                return false;
            }
            long[] entries = new long[wanted];
            metadata.entries(cluster, wanted, entries);
            if ((long) sameKindRun(entries, wanted) * clusterSize - inCluster < length) {
                return false;
            }
            switch (L2Entry.type(entries[0], zeroFlag)) {
                case NORMAL -> {
                    long position = L2Entry.offset(entries[0]) + inCluster;
                    return position + length <= host.length() && host.readFileRegion(position, length, sink);
                }
                case UNALLOCATED -> {
                    Child below = backing;
                    return below != null && offset + length <= below.length()
                            && below.readFileRegion(offset, length, sink);
                }
                default -> {
                    return false;
                }
            }
        } finally {
            metadata.leaveIo();
        }
    }

    private void readRun(long entry, long offset, int inCluster, ByteBuffer part) throws IOException {
        switch (L2Entry.type(entry, zeroFlag)) {
            case NORMAL -> metadata.file().read(L2Entry.offset(entry) + inCluster, part);
            case ZERO_PLAIN, ZERO_ALLOC -> Qcow2File.zero(part);
            case UNALLOCATED -> readBacking(offset, part);
            case COMPRESSED -> part.put(Compressed.read(metadata.file(), entry, clusterBits)
                    .position(inCluster).limit(inCluster + part.remaining()));
        }
    }

    /** What the layers below hold at offset; zeroes past the backing node's end or without one. */
    private void readBacking(long offset, ByteBuffer dst) throws IOException {
        long backingLength = backing != null ? backing.length() : 0;
        if (offset < backingLength) {
            int fromBacking = (int) Math.min(dst.remaining(), backingLength - offset);
            backing.read(offset, dst.slice(dst.position(), fromBacking));
            dst.position(dst.position() + fromBacking);
        }
        Qcow2File.zero(dst);
    }

    /** Clusters from {@code cluster} that a request of {@code bytes} touches, within one L2 table. */
    private int clustersSpanned(int inCluster, long bytes, long cluster) {
        long clusters = (inCluster + bytes + clusterSize - 1) >>> clusterBits;
        return (int) Math.min(clusters, metadata.clustersLeftInTable(cluster));
    }

    /**
     * How many entries from the first can be served alike: host clusters
     * that follow each other in the file, or clusters of the same non-data kind.
     */
    private int sameKindRun(long[] entries, int count) {
        L2Entry.Type type = L2Entry.type(entries[0], zeroFlag);
        if (type == L2Entry.Type.COMPRESSED) {
            return 1;
        }
        int run = 1;
        while (run < count) {
            L2Entry.Type next = L2Entry.type(entries[run], zeroFlag);
            boolean same = type == L2Entry.Type.NORMAL
                    ? next == type && L2Entry.offset(entries[run]) == L2Entry.offset(entries[0]) + (long) run * clusterSize
                    : next == type || (isZero(type) && isZero(next));
            if (!same) {
                break;
            }
            run++;
        }
        return run;
    }

    private static boolean isZero(L2Entry.Type type) {
        return type == L2Entry.Type.ZERO_PLAIN || type == L2Entry.Type.ZERO_ALLOC;
    }

    // ---- writes

    @Override
    public void write(long offset, ByteBuffer src) throws IOException {
        metadata.enterIo();
        try {
            long[] entries = entryArray(offset, src.remaining());
            while (src.hasRemaining()) {
                long cluster = offset >>> clusterBits;
                int inCluster = (int) (offset & (clusterSize - 1));
                int wanted = clustersSpanned(inCluster, src.remaining(), cluster);
                metadata.entries(cluster, wanted, entries);
                int bytes;
                int run = L2Entry.inPlaceRun(entries, wanted, zeroFlag, clusterSize);
                if (run > 0) {
                    bytes = (int) Math.min(src.remaining(), (long) run * clusterSize - inCluster);
                    metadata.file().write(L2Entry.offset(entries[0]) + inCluster, src.slice(src.position(), bytes));
                } else {
                    run = L2Entry.allocatingRun(entries, wanted, zeroFlag);
                    bytes = (int) Math.min(src.remaining(), (long) run * clusterSize - inCluster);
                    bytes = allocatingWrite(cluster, run, inCluster, src.slice(src.position(), bytes));
                }
                src.position(src.position() + bytes);
                offset += bytes;
            }
        } finally {
            metadata.leaveIo();
        }
    }

    @Override
    public void prepareWrites(long offset, long length) throws IOException {
        if (length <= 0) {
            return;
        }
        metadata.enterIo();
        try {
            long first = offset >>> clusterBits;
            metadata.prepareWrites(first, ((offset + length - 1) >>> clusterBits) - first + 1);
        } finally {
            metadata.leaveIo();
        }
    }

    @Override
    public boolean writeFileRegion(long offset, long length, FileRegionSink sink) throws IOException {
        if (length == 0) {
            return metadata.file().child().writeFileRegion(0, 0, sink);
        }
        metadata.enterIo();
        try {
            return fileRegionWrite.write(offset, length, sink);
        } finally {
            metadata.leaveIo();
        }
    }

    /**
     * Writes into clusters that need new host clusters: the old contents
     * around the new data (from the old cluster, the backing node or zeroes)
     * and the data go to freshly allocated clusters, then the L2 entries
     * switch to them and the old clusters are freed. Returns how many bytes
     * of data it wrote (0 when another writer allocated meanwhile: the caller
     * looks again).
     */
    private int allocatingWrite(long cluster, int count, int inCluster, ByteBuffer data) throws IOException {
        ClusterClaims.Claim claim = claims.claim(cluster, count);
        try {
            long[] old = new long[count];
            metadata.entries(cluster, count, old);
            int run = L2Entry.allocatingRun(old, count, zeroFlag);
            if (run == 0) {
                return 0;
            }
            Qcow2Metadata.HostRun allocation = metadata.allocate(run);
            run = allocation.count();
            long host = allocation.offset();
            int bytes = (int) Math.min(data.remaining(), (long) run * clusterSize - inCluster);
            long guest = cluster << clusterBits;
            int tail = (int) ((long) run * clusterSize - inCluster - bytes);
            boolean zeroesAround = allocation.zeroed() && readsAsZero(old[0], guest)
                    && readsAsZero(old[run - 1], guest + (long) (run - 1) * clusterSize);
            if ((inCluster == 0 && tail == 0) || zeroesAround) {
                // Past the end of the file the clusters already read as zeroes; the file grows over them.
                metadata.file().grow(host + (long) run * clusterSize);
                metadata.file().write(host + inCluster, data.slice(data.position(), bytes));
            } else {
                ByteBuffer whole = ByteBuffer.allocate(run * clusterSize);
                if (inCluster > 0) {
                    oldContents(old[0], guest, 0, whole.slice(0, inCluster));
                }
                whole.put(inCluster, data, data.position(), bytes);
                if (tail > 0) {
                    int tailStart = inCluster + bytes;
                    oldContents(old[run - 1], guest, tailStart, whole.slice(tailStart, tail));
                }
                metadata.file().write(host, whole);
            }
            metadata.link(cluster, run, host, old);
            return bytes;
        } finally {
            claim.release();
        }
    }

    /** Whether the guest cluster at {@code guest} with this entry reads as zeroes (nothing to copy on write). */
    private boolean readsAsZero(long entry, long guest) throws IOException {
        return switch (L2Entry.type(entry, zeroFlag)) {
            case ZERO_PLAIN, ZERO_ALLOC -> true;
            case UNALLOCATED -> backing == null || guest >= backing.length();
            case NORMAL, COMPRESSED -> false;
        };
    }

    /** The bytes a cluster held before it is rewritten elsewhere, from {@code at} within the run. */
    private void oldContents(long entry, long guestRunStart, int at, ByteBuffer dst) throws IOException {
        int inCluster = at & (clusterSize - 1);
        switch (L2Entry.type(entry, zeroFlag)) {
            case NORMAL -> metadata.file().read(L2Entry.offset(entry) + inCluster, dst);
            case ZERO_PLAIN, ZERO_ALLOC -> Qcow2File.zero(dst);
            case UNALLOCATED -> readBacking(guestRunStart + at, dst);
            case COMPRESSED -> dst.put(Compressed.read(metadata.file(), entry, clusterBits)
                    .position(inCluster).limit(inCluster + dst.remaining()));
        }
    }

    // ---- zeroes and discard

    /**
     * Whole clusters become zero clusters (version 3), freed when the request
     * may unmap; partial clusters at either end are written with zeroes, or
     * refused with ENOTSUP when the caller wants no fallback. Version 2 has no
     * zero clusters, so everything falls back to writing zeroes, as in QEMU.
     */
    @Override
    public void writeZeroes(long offset, long length, int flags) throws IOException {
        if (!zeroFlag) {
            BlockDriver.super.writeZeroes(offset, length, flags);
            return;
        }
        long end = offset + length;
        long wholeStart = roundUp(offset);
        long wholeEnd = end == size ? roundUp(end) : end & -clusterSize;
        if (wholeStart >= wholeEnd) {
            zeroBytes(offset, length, flags);
            return;
        }
        if (offset < wholeStart) {
            zeroBytes(offset, wholeStart - offset, flags);
        }
        boolean mayUnmap = RequestFlags.has(flags, RequestFlags.MAY_UNMAP);
        changeClusters(wholeStart, wholeEnd, (entry) -> zeroEntry(entry, mayUnmap), Refcounts.DiscardType.REQUEST);
        if (wholeEnd < end) {
            zeroBytes(wholeEnd, end - wholeEnd, flags);
        }
    }

    private long zeroEntry(long entry, boolean mayUnmap) {
        L2Entry.Type type = L2Entry.type(entry, true);
        boolean keep = !mayUnmap && (entry & L2Entry.COPIED) != 0
                && (type == L2Entry.Type.NORMAL || type == L2Entry.Type.ZERO_ALLOC);
        return keep ? L2Entry.offset(entry) | L2Entry.COPIED | L2Entry.ZERO : L2Entry.ZERO;
    }

    private void zeroBytes(long offset, long length, int flags) throws IOException {
        if (RequestFlags.has(flags, RequestFlags.NO_FALLBACK)) {
            throw new BlockIOException(Errno.ENOTSUP);
        }
        BlockDriver.super.writeZeroes(offset, length, flags & ~RequestFlags.NO_FALLBACK);
    }

    /**
     * Discard as QEMU's qcow2 does it with discard=unmap: whole clusters only;
     * they read as zeroes afterwards (version 3) where anything could show
     * through, or fall through to the backing file (version 2).
     */
    @Override
    public void discard(long offset, long length) throws IOException {
        if (!unmap) {
            return;
        }
        long end = offset + length;
        long wholeStart = roundUp(offset);
        long wholeEnd = end == size ? roundUp(end) : end & -clusterSize;
        if (wholeStart < wholeEnd) {
            changeClusters(wholeStart, wholeEnd, this::discardEntry, Refcounts.DiscardType.REQUEST);
        }
    }

    private long discardEntry(long entry) {
        L2Entry.Type type = L2Entry.type(entry, zeroFlag);
        boolean showsThrough = backing != null || (type != L2Entry.Type.UNALLOCATED && type != L2Entry.Type.ZERO_PLAIN);
        return zeroFlag && showsThrough ? L2Entry.ZERO : 0;
    }

    private long roundUp(long offset) {
        return (offset + clusterSize - 1) & -clusterSize;
    }

    /** Rewrites the L2 entries of whole clusters [start, end) with {@code change}, freeing what they no longer use. */
    private void changeClusters(long start, long end, java.util.function.LongUnaryOperator change,
                                Refcounts.DiscardType why) throws IOException {
        metadata.enterIo();
        try {
            for (long cluster = start >>> clusterBits; cluster < end >>> clusterBits; ) {
                int count = (int) Math.min((end >>> clusterBits) - cluster, metadata.clustersLeftInTable(cluster));
                ClusterClaims.Claim claim = claims.claim(cluster, count);
                try {
                    metadata.rewrite(cluster, count, change, why);
                } finally {
                    claim.release();
                }
                cluster += count;
            }
        } finally {
            metadata.leaveIo();
        }
    }

    // ---- the rest of the driver interface

    @Override
    public void flush() throws IOException {
        metadata.flush();
    }

    @Override
    public BlockStatus blockStatus(long offset, long bytes) throws IOException {
        long cluster = offset >>> clusterBits;
        int inCluster = (int) (offset & (clusterSize - 1));
        int wanted = clustersSpanned(inCluster, bytes, cluster);
        long[] entries = new long[wanted];
        metadata.entries(cluster, wanted, entries);
        int run = 1;
        L2Entry.Type type = L2Entry.type(entries[0], zeroFlag);
        while (run < wanted && kindForStatus(L2Entry.type(entries[run], zeroFlag)) == kindForStatus(type)) {
            run++;
        }
        long answer = Math.min(bytes, (long) run * clusterSize - inCluster);
        return switch (type) {
            case NORMAL, COMPRESSED -> new BlockStatus(answer, true, false, true);
            case ZERO_PLAIN, ZERO_ALLOC -> new BlockStatus(answer, false, true, true);
            case UNALLOCATED -> backingStatus(offset, answer);
        };
    }

    private static int kindForStatus(L2Entry.Type type) {
        return switch (type) {
            case NORMAL, COMPRESSED -> 0;
            case ZERO_PLAIN, ZERO_ALLOC -> 1;
            case UNALLOCATED -> 2;
        };
    }

    /** Unallocated here: what shows through from below, as data or zeroes, not allocated in this layer. */
    private BlockStatus backingStatus(long offset, long bytes) throws IOException {
        long backingLength = backing != null ? backing.length() : 0;
        if (offset >= backingLength) {
            return new BlockStatus(bytes, false, true, false);
        }
        BlockStatus below = backing.blockStatus(offset, Math.min(bytes, backingLength - offset));
        return new BlockStatus(below.bytes(), below.data(), below.zero(), false);
    }

    /**
     * Grows (or shrinks) the image; QEMU refuses both with internal snapshots.
     * The graph calls it with the node and its file drained.
     */
    @Override
    public void truncate(long newSize) throws IOException {
        if (header.snapshotCount() > 0) {
            throw QmpError.generic("Can't resize an image which has snapshots");
        }
        if (newSize % 512 != 0) {
            throw QmpError.generic("The new size must be a multiple of 512");
        }
        bitmaps.checkResize();
        metadata.file().whileDrained(() -> {
            if (newSize < size) {
                long wholeStart = roundUp(newSize);
                if (wholeStart < roundUp(size)) {
                    changeClusters(wholeStart, roundUp(size), entry -> 0, Refcounts.DiscardType.OTHER);
                }
            }
            metadata.resize(newSize);
        });
        size = newSize;
    }

    @Override
    public long allocatedBytes() throws IOException {
        return file.driver().allocatedBytes();
    }

    @Override
    public Perms childPermissions(String role, boolean writable, int perm, int shared) {
        if (role.equals("backing")) {
            return Qcow2Permissions.backing(perm, shared);
        }
        return Perms.storage(perm, shared, writable, true, true);
    }

    @Override
    public void describeImage(ObjectNode image) {
        Qcow2Info.describe(this, header, image);
    }

    String fullBackingFilename() {
        return header.backingFile() == null ? null
                : BackingFile.fullName(file.driver().plainFilename(), header.backingFile());
    }

    @Override
    public ObjectNode description() {
        ObjectNode description = JsonNodeFactory.instance.objectNode();
        if (backingOverridden()) {
            description.set("backing", backing == null ? NullNode.instance : backing.driver().description());
        }
        description.put("driver", "qcow2");
        description.set("file", file.driver().description());
        return description;
    }

    /**
     * Whether the backing differs from what the header names (QEMU's
     * bdrv_backing_overridden): a given node whose file name is not the
     * header's name as written, or none at all where the header names one.
     */
    private boolean backingOverridden() {
        if (backing == null) {
            return header.backingFile() != null;
        }
        return backingGiven && !backing.driver().filename().equals(header.backingFile());
    }

    @Override
    public boolean hasStrongOptions() {
        return file.driver().hasStrongOptions() || backingOverridden();
    }

    @Override
    public String plainFilename() {
        return file.driver().plainFilename();
    }

    @Override
    public long clusterSize() {
        return clusterSize;
    }

    @Override
    public void attachBitmaps(BlockNode node) {
        bitmaps.attach(node);
    }

    @Override
    public void checkCanStoreBitmap(String nodeName, String bitmap, long granularity) {
        bitmaps.checkCanStore(nodeName, bitmap, granularity, nodeLength(size));
    }

    @Override
    public void removePersistentBitmap(String bitmap) {
        bitmaps.remove(bitmap);
    }

    /** Persistent bitmaps go to the image first, while the metadata they are allocated in is still open. */
    @Override
    public void close() throws IOException {
        metadata.file().closing();
        bitmaps.store();
        metadata.close();
    }
}
