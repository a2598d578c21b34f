package org.fleece.server.nbd;

import org.fleece.block.AllocationDepth;
import org.fleece.block.BlockBackend;
import org.fleece.block.BlockStatus;
import org.fleece.block.FileRegionSink;
import org.fleece.block.RequestFlags;
import org.fleece.block.bitmap.DirtyBitmap;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;

/**
 * Checks and carries out one transmission request on the export's node and
 * answers it, as QEMU's server does. Block errors become error replies;
 * an IOException out of here means the socket failed and the client is lost.
 */
final class RequestHandler {
    private static final int CACHE_CHUNK = 1 << 20;
    /**
     * Smaller reads go through a buffer: a pread and one writev of header and
     * data cost fewer system calls than a header write and sendfile (which
     * the JDK precedes with fstat and copy_file_range).
     */
    private static final int SENDFILE_MIN = 64 * 1024;
    /** base:allocation's flags. */
    private static final int BASE_HOLE = 1;
    private static final int BASE_ZERO = 2;
    /** qemu:dirty-bitmap: the range was written since the bitmap was last cleared. */
    private static final int STATE_DIRTY = 1;

    /** A block request that failed: its errno and the message a structured reply carries. */
    private static final class Failed extends Exception {
        final int errno;

        Failed(int errno, String message) {
            super(message, null, false, false);
            this.errno = errno;
        }
    }

    private final NbdExport export;
    private final BlockBackend backend;
    private final MetaContexts contexts;
    private final ReplyWriter replies;
    private final BufferPool pool;
    /**
     * Whether the node keeps its data in host files, so its reads and writes
     * are page cache copies: asked once, and learnt from any read that went
     * out by sendfile. A read that did not (a snapshot's old data still on
     * the active disk, read through a buffer) is a page cache copy all the
     * same, so it does not unlearn it: handing such reads to other threads
     * cost the snapshot export a third of its speed.
     */
    private volatile boolean readsFromFile;

    RequestHandler(NbdExport export, MetaContexts contexts, ReplyWriter replies, BufferPool pool) {
        this.export = export;
        this.backend = export.backend();
        this.contexts = contexts;
        this.replies = replies;
        this.pool = pool;
        this.readsFromFile = keepsDataInFile(backend);
    }

    /** An empty read that only asks whether the node would hand its data over as a file region. */
    private static boolean keepsDataInFile(BlockBackend backend) {
        try {
            return backend.readFileRegion(0, 0, (file, position, length) -> { });
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * Whether the request costs less than a hand-off to another thread: any
     * request to a node that completes everything at once (null-co), or a
     * memory copy to or from the page cache: a read or a write without FUA
     * while the node keeps its data in host files (see {@link #readsFromFile}).
     * Read replies by sendfile hold the socket from the first byte of data to
     * the last, so such reads could not overlap on other threads anyway.
     */
    boolean quick(Request r) {
        if (backend.node().completesAtOnce()) {
            return true;
        }
        if (!readsFromFile || r.has(Nbd.CMD_FLAG_FUA)) {
            return false;
        }
        return r.type() == Nbd.CMD_READ || r.type() == Nbd.CMD_WRITE && !export.writethrough();
    }

    void handle(Request r) throws IOException {
        try {
            check(r);
            switch (r.type()) {
                case Nbd.CMD_READ -> read(r);
                case Nbd.CMD_WRITE -> {
                    write(r);
                    replies.done(r.handle());
                }
                case Nbd.CMD_WRITE_ZEROES -> {
                    writeZeroes(r);
                    replies.done(r.handle());
                }
                case Nbd.CMD_TRIM -> {
                    trim(r);
                    replies.done(r.handle());
                }
                case Nbd.CMD_FLUSH -> {
                    flush("flush failed");
                    replies.done(r.handle());
                }
                case Nbd.CMD_CACHE -> {
                    cache(r);
                    replies.done(r.handle());
                }
                case Nbd.CMD_BLOCK_STATUS -> blockStatus(r);
                default -> throw new Failed(Nbd.EINVAL,
                        "invalid request type (" + r.type() + ") received");
            }
        } catch (Failed f) {
            replies.error(r.handle(), f.errno, f.getMessage());
        }
    }

    /**
     * QEMU's checks, in its order: read-only export, range, flags valid for the
     * command. qemu-storage-daemon 7.2 answers every one of them with EINVAL on
     * the wire (not EPERM or ENOSPC, as the protocol suggests), and so does Fleece.
     */
    private void check(Request r) throws Failed {
        boolean writes = r.type() == Nbd.CMD_WRITE || r.type() == Nbd.CMD_TRIM || r.type() == Nbd.CMD_WRITE_ZEROES;
        if (writes && !export.writable()) {
            throw new Failed(Nbd.EINVAL, "Export is read-only");
        }
        if (r.pastEnd(export.size())) {
            throw new Failed(Nbd.EINVAL, "operation past EOF; From: " + Long.toUnsignedString(r.offset()) + ", Len: " + r.length()
                            + ", Size: " + export.size());
        }
        int valid = Nbd.CMD_FLAG_FUA;
        if (r.type() == Nbd.CMD_READ && replies.structured()) {
            valid |= Nbd.CMD_FLAG_DF;
        } else if (r.type() == Nbd.CMD_WRITE_ZEROES) {
            valid |= Nbd.CMD_FLAG_NO_HOLE | Nbd.CMD_FLAG_FAST_ZERO;
        } else if (r.type() == Nbd.CMD_BLOCK_STATUS) {
            valid |= Nbd.CMD_FLAG_REQ_ONE;
        }
        if ((r.flags() & ~valid) != 0) {
            throw new Failed(Nbd.EINVAL, "unsupported flags for command " + Nbd.commandName(r.type())
                    + " (got 0x" + Integer.toHexString(r.flags()) + ")");
        }
    }

    private void read(Request r) throws IOException, Failed {
        if (r.has(Nbd.CMD_FLAG_FUA)) {
            // The protocol defines FUA for writes only; QEMU flushes before the read, and so does Fleece.
            flush("flush failed");
        }
        if (!replies.structured()) {
            simpleRead(r);
        } else if (r.length() == 0) {
            replies.none(r.handle());
        } else if (r.has(Nbd.CMD_FLAG_DF)) {
            dataChunk(r.handle(), true, r.offset(), (int) r.length());
        } else {
            sparseRead(r);
        }
    }

    private void simpleRead(Request r) throws IOException, Failed {
        if (r.length() >= SENDFILE_MIN && sentFromFile(r.offset(), r.length(),
                (file, position, length) -> replies.simpleData(r.handle(), file, position, length))) {
            return;
        }
        ByteBuffer data = pool.take((int) r.length());
        try {
            readInto(r.offset(), data);
            replies.simpleData(r.handle(), data.flip());
        } finally {
            pool.give(data);
        }
    }

    /** Zero areas go out as holes, the rest as data, each chunk as the node reports it. */
    private void sparseRead(Request r) throws IOException, Failed {
        long end = r.offset() + r.length();
        for (long at = r.offset(); at < end; ) {
            BlockStatus status = status(at, end - at, "reading from file failed");
            long n = Math.min(status.bytes(), end - at);
            boolean last = at + n == end;
            if (status.zero()) {
                replies.hole(r.handle(), last, at, (int) n);
            } else {
                dataChunk(r.handle(), last, at, (int) n);
            }
            at += n;
        }
    }

    /** One OFFSET_DATA chunk: straight from the file where the node allows it, else through a buffer. */
    private void dataChunk(long handle, boolean last, long offset, int length) throws IOException, Failed {
        if (length >= SENDFILE_MIN && sentFromFile(offset, length,
                (file, position, bytes) -> replies.data(handle, last, offset, file, position, bytes))) {
            return;
        }
        ByteBuffer data = pool.take(length);
        try {
            readInto(offset, data);
            replies.data(handle, last, offset, data.flip());
        } finally {
            pool.give(data);
        }
    }

    /**
     * Sends the range by sendfile if the node keeps it in a host file as it is;
     * false if it does not. A failure once the reply has begun is the socket's
     * (the client is lost), not the block layer's.
     */
    private boolean sentFromFile(long offset, long length, FileRegionSink reply) throws IOException, Failed {
        try {
            boolean sent = backend.readFileRegion(offset, length, (file, position, bytes) -> {
                try {
                    reply.transfer(file, position, bytes);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
            if (sent) {
                readsFromFile = true;
            }
            return sent;
        } catch (UncheckedIOException e) {
            throw e.getCause();
        } catch (IOException e) {
            throw new Failed(NbdErrno.of(e), "reading from file failed");
        }
    }

    private void readInto(long offset, ByteBuffer data) throws Failed {
        try {
            backend.read(offset, data);
        } catch (IOException e) {
            throw new Failed(NbdErrno.of(e), "reading from file failed");
        }
    }

    private void write(Request r) throws Failed {
        try {
            backend.write(r.offset(), r.payload(), fua(r));
        } catch (IOException e) {
            throw new Failed(NbdErrno.of(e), "writing to file failed");
        }
    }

    private void writeZeroes(Request r) throws Failed {
        int flags = fua(r);
        if (!r.has(Nbd.CMD_FLAG_NO_HOLE)) {
            flags |= RequestFlags.MAY_UNMAP;
        }
        if (r.has(Nbd.CMD_FLAG_FAST_ZERO)) {
            flags |= RequestFlags.NO_FALLBACK;
        }
        try {
            backend.writeZeroes(r.offset(), r.length(), flags);
        } catch (IOException e) {
            throw new Failed(NbdErrno.of(e), "writing to file failed");
        }
    }

    /** A writethrough export writes every request through, as if the client had asked for FUA. */
    private int fua(Request r) {
        return r.has(Nbd.CMD_FLAG_FUA) || export.writethrough() ? RequestFlags.FUA : 0;
    }

    private void trim(Request r) throws Failed {
        try {
            backend.discard(r.offset(), r.length());
        } catch (IOException e) {
            throw new Failed(NbdErrno.of(e), "discard failed");
        }
        if (r.has(Nbd.CMD_FLAG_FUA)) {
            flush("discard failed");
        }
    }

    private void flush(String message) throws Failed {
        try {
            backend.flush();
        } catch (IOException e) {
            throw new Failed(NbdErrno.of(e), message);
        }
    }

    /** Reads the range so that later reads find it in the page cache; the data goes nowhere. */
    private void cache(Request r) throws Failed {
        ByteBuffer scratch = pool.take((int) Math.min(CACHE_CHUNK, Math.max(r.length(), 1)));
        try {
            for (long done = 0; done < r.length(); ) {
                int n = (int) Math.min(scratch.capacity(), r.length() - done);
                try {
                    backend.read(r.offset() + done, scratch.clear().limit(n));
                } catch (IOException e) {
                    throw new Failed(NbdErrno.of(e), "caching data failed");
                }
                done += n;
            }
        } finally {
            pool.give(scratch);
        }
    }

    /** One chunk per negotiated context, all in one reply, none reaching past the request. */
    private void blockStatus(Request r) throws IOException, Failed {
        if (r.length() == 0) {
            throw new Failed(Nbd.EINVAL, "need non-zero length");
        }
        if (contexts.count() == 0) {
            throw new Failed(Nbd.EINVAL, "CMD_BLOCK_STATUS not negotiated");
        }
        int limit = r.has(Nbd.CMD_FLAG_REQ_ONE) ? 1 : Extents.MAX_EXTENTS;
        List<Extents> chunks = new ArrayList<>(2);
        if (contexts.baseAllocation()) {
            chunks.add(allocationExtents(r, new Extents(MetaContexts.BASE_ALLOCATION_ID, limit)));
        }
        if (contexts.allocationDepth()) {
            chunks.add(depthExtents(r, new Extents(MetaContexts.ALLOCATION_DEPTH_ID, limit)));
        }
        BitSet bitmaps = contexts.bitmaps();
        for (int i = bitmaps.nextSetBit(0); i >= 0; i = bitmaps.nextSetBit(i + 1)) {
            chunks.add(dirtyExtents(r, export.bitmaps().get(i),
                    new Extents(MetaContexts.FIRST_BITMAP_ID + i, limit)));
        }
        replies.blockStatus(r.handle(), chunks);
    }

    /**
     * A bitmap's clean and dirty runs over the request, QEMU's way: dirty
     * areas of at most INT32_MAX bytes each, clean gaps between them, and the
     * clean rest to the end of the request.
     */
    private static Extents dirtyExtents(Request r, DirtyBitmap bitmap, Extents extents) {
        long end = r.offset() + r.length();
        long start = r.offset();
        while (start < end) {
            long dirtyStart = bitmap.nextDirty(start);
            if (dirtyStart < 0 || dirtyStart >= end) {
                break;
            }
            long dirtyEnd = Math.min(Math.min(bitmap.nextClean(dirtyStart), end), dirtyStart + Integer.MAX_VALUE);
            if (!addRun(extents, dirtyStart - start, 0) || !addRun(extents, dirtyEnd - dirtyStart, STATE_DIRTY)) {
                return extents;
            }
            start = dirtyEnd;
        }
        addRun(extents, end - start, 0);
        return extents;
    }

    private static boolean addRun(Extents extents, long length, int flags) {
        return length == 0 || extents.add(length, flags);
    }

    private Extents allocationExtents(Request r, Extents extents) throws Failed {
        long end = r.offset() + r.length();
        for (long at = r.offset(); at < end; ) {
            BlockStatus status = status(at, end - at, "can't get block status");
            long n = Math.min(status.bytes(), end - at);
            if (!extents.add(n, (status.data() ? 0 : BASE_HOLE) | (status.zero() ? BASE_ZERO : 0))) {
                break;
            }
            at += n;
        }
        return extents;
    }

    private Extents depthExtents(Request r, Extents extents) throws Failed {
        long end = r.offset() + r.length();
        for (long at = r.offset(); at < end; ) {
            AllocationDepth depth;
            try {
                depth = backend.allocationDepth(at, end - at);
            } catch (IOException e) {
                throw new Failed(NbdErrno.of(e), "can't get block status");
            }
            long n = Math.min(depth.bytes(), end - at);
            if (!extents.add(n, depth.depth())) {
                break;
            }
            at += n;
        }
        return extents;
    }

    private BlockStatus status(long offset, long bytes, String message) throws Failed {
        try {
            return backend.blockStatus(offset, bytes);
        } catch (IOException e) {
            throw new Failed(NbdErrno.of(e), message);
        }
    }
}
