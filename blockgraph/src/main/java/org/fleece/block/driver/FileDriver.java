package org.fleece.block.driver;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.fleece.block.BlockDriver;
import org.fleece.block.BlockIOException;
import org.fleece.block.BlockStatus;
import org.fleece.block.Errno;
import org.fleece.block.FileRegionSink;
import org.fleece.block.ChildOpener;
import org.fleece.block.NodeOptions;
import org.fleece.block.PosixFiles;
import org.fleece.block.RequestFlags;
import org.fleece.qapi.QmpError;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import com.sun.nio.file.ExtendedOpenOption;

import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The `file` protocol driver: a host file, read and written at positions with
 * FileChannel; holes found with SEEK_DATA/SEEK_HOLE and made with fallocate
 * on a second descriptor, so sparse files stay sparse.
 */
final class FileDriver implements BlockDriver {
    private final Path path;
    private final FileChannel channel;
    private final int fd;
    /** Absent unless cache.direct=on. */
    private final DirectIo direct;
    /** Absent with locking=off. */
    private final ImageLocks locks;
    /**
     * The file's length, kept rather than asked of the kernel on every request,
     * as QEMU keeps a node's length: it changes only through {@link #truncate}.
     */
    private volatile long size;
    /**
     * The last run of data lseek found, kept as QEMU's block-status cache keeps
     * it: block status inside it (a structured read asks before every read)
     * needs no lseek. Writes only turn holes into data; a run is good while
     * {@link #zeroings} has not moved since the lseek that found it.
     */
    private volatile DataRun knownData;
    /**
     * Moves on before and after each discard, write-zeroes and truncation (what
     * can turn data into holes), so a run found while one was under way is never used.
     */
    private final AtomicLong zeroings = new AtomicLong();
    private final AtomicLong discardsOk = new AtomicLong();
    private final AtomicLong discardsFailed = new AtomicLong();
    private final AtomicLong discardedBytes = new AtomicLong();

    private FileDriver(Path path, FileChannel channel, boolean writable, NodeOptions base) throws IOException {
        this.path = path;
        this.channel = channel;
        this.fd = PosixFiles.open(path, writable);
        this.locks = base.given().path("locking").asText("auto").equals("off") ? null : new ImageLocks(fd, path.toString());
        this.size = channel.size();
        this.direct = base.cacheDirect()
                ? new DirectIo(channel, (int) Files.getFileStore(path).getBlockSize(), () -> size) : null;
    }

    static BlockDriver open(JsonNode options, NodeOptions base, ChildOpener children) {
        String filename = options.get("filename").asText();
        Path path = Path.of(filename);
        if (options.path("aio").asText().equals("native") && !base.cacheDirect()) {
            throw QmpError.generic("aio=native was specified, but it requires cache.direct=on, which was not specified.");
        }
        if (Files.isDirectory(path)) {
            throw QmpError.generic("Could not open '" + filename + "': Is a directory");
        }
        try {
            return new FileDriver(path, channel(path, !base.readOnly(), base.cacheDirect()), !base.readOnly(), base);
        } catch (AccessDeniedException e) {
            if (!base.readOnly() && base.autoReadOnly()) {
                try {
                    return new FileDriver(path, channel(path, false, base.cacheDirect()), false, base);
                } catch (IOException retry) {
                    throw couldNotOpen(filename, retry);
                }
            }
            throw couldNotOpen(filename, e);
        } catch (IOException e) {
            throw couldNotOpen(filename, e);
        }
    }

    private static FileChannel channel(Path path, boolean writable, boolean direct) throws IOException {
        Set<OpenOption> options = new HashSet<>();
        options.add(StandardOpenOption.READ);
        if (writable) {
            options.add(StandardOpenOption.WRITE);
        }
        if (direct) {
            options.add(ExtendedOpenOption.DIRECT);
        }
        return FileChannel.open(path, options);
    }

    private static QmpError couldNotOpen(String filename, IOException e) {
        return QmpError.generic("Could not open '" + filename + "': " + Errno.describe(e));
    }

    @Override
    public String name() {
        return "file";
    }

    @Override
    public long size() {
        return size;
    }

    @Override
    public void read(long offset, ByteBuffer dst) throws IOException {
        if (direct != null) {
            direct.read(offset, dst);
            return;
        }
        long position = offset;
        while (dst.hasRemaining()) {
            int n = channel.read(dst, position);
            if (n < 0) {
                while (dst.hasRemaining()) {
                    dst.put((byte) 0);
                }
                return;
            }
            position += n;
        }
    }

    /** Not with cache.direct=on: the data must not come through the page cache then. */
    @Override
    public boolean readFileRegion(long offset, long length, FileRegionSink sink) throws IOException {
        if (direct != null) {
            return false;
        }
        sink.transfer(channel, offset, length);
        return true;
    }

    @Override
    public boolean writeFileRegion(long offset, long length, FileRegionSink sink) throws IOException {
        if (direct != null) {
            return false;
        }
        sink.transfer(channel, offset, length);
        return true;
    }

    @Override
    public void write(long offset, ByteBuffer src) throws IOException {
        if (direct != null) {
            direct.write(offset, src);
            return;
        }
        long position = offset;
        while (src.hasRemaining()) {
            position += channel.write(src, position);
        }
    }

    /** Zeroes by fallocate (punching a hole when the request may unmap), falling back to writing zeroes. */
    @Override
    public void writeZeroes(long offset, long length, int flags) throws IOException {
        long end = Math.min(offset + length, size);
        zeroings.incrementAndGet();
        try {
            if (end > offset) {
                PosixFiles.fallocate(fd, RequestFlags.has(flags, RequestFlags.MAY_UNMAP)
                        ? PosixFiles.FALLOC_FL_PUNCH_HOLE | PosixFiles.FALLOC_FL_KEEP_SIZE
                        : PosixFiles.FALLOC_FL_ZERO_RANGE | PosixFiles.FALLOC_FL_KEEP_SIZE, offset, end - offset);
            }
            if (offset + length > end) {
                BlockDriver.super.writeZeroes(end, offset + length - end, flags);
            }
        } catch (BlockIOException e) {
            if (e.errno() != Errno.ENOTSUP || RequestFlags.has(flags, RequestFlags.NO_FALLBACK)) {
                throw e;
            }
            BlockDriver.super.writeZeroes(offset, length, flags);
        } finally {
            zeroings.incrementAndGet();
        }
    }

    /** Punches a hole (the node only passes discards on with discard=unmap); where holes cannot be made, drops the hint. */
    @Override
    public void discard(long offset, long length) throws IOException {
        zeroings.incrementAndGet();
        try {
            PosixFiles.fallocate(fd, PosixFiles.FALLOC_FL_PUNCH_HOLE | PosixFiles.FALLOC_FL_KEEP_SIZE, offset, length);
            discardsOk.incrementAndGet();
            discardedBytes.addAndGet(length);
        } catch (BlockIOException e) {
            discardsFailed.incrementAndGet();
            if (e.errno() != Errno.ENOTSUP) {
                throw e;
            }
        } finally {
            zeroings.incrementAndGet();
        }
    }

    /**
     * Data where the file system has data; holes, and everything past the end
     * of the file, read as zeroes. After a hole the data that follows within
     * the range is looked up at once: the caller nearly always asks about it next.
     */
    @Override
    public BlockStatus blockStatus(long offset, long bytes) throws IOException {
        long epoch = zeroings.get();
        DataRun known = knownData;
        if (known == null || !known.holds(offset, epoch)) {
            long data = PosixFiles.nextData(fd, offset);
            if (data != offset) {
                if (data >= 0 && data < offset + bytes) {
                    knownData = new DataRun(data, PosixFiles.nextHole(fd, data), epoch);
                }
                long holeEnd = data < 0 ? offset + bytes : Math.min(data, offset + bytes);
                return new BlockStatus(holeEnd - offset, false, true, true);
            }
            known = new DataRun(offset, PosixFiles.nextHole(fd, offset), epoch);
            knownData = known;
        }
        return new BlockStatus(Math.min(bytes, known.end() - offset), true, false, true);
    }

    /** Bytes from start (inclusive) to end (exclusive) held data when {@link #zeroings} was at epoch. */
    private record DataRun(long start, long end, long epoch) {
        boolean holds(long offset, long now) {
            return epoch == now && start <= offset && offset < end;
        }
    }

    @Override
    public void flush() throws IOException {
        channel.force(false);
    }

    @Override
    public long allocatedBytes() throws IOException {
        return PosixFiles.allocatedBytes(path);
    }

    @Override
    public ObjectNode description() {
        return JsonNodeFactory.instance.objectNode().put("driver", "file").put("filename", path.toString());
    }

    @Override
    public boolean hasStrongOptions() {
        return false;
    }

    @Override
    public String plainFilename() {
        return path.toString();
    }

    @Override
    public void truncate(long size) throws IOException {
        zeroings.incrementAndGet();
        try {
            PosixFiles.truncate(fd, size);
            this.size = size;
        } finally {
            zeroings.incrementAndGet();
        }
    }

    @Override
    public ObjectNode statistics() {
        return JsonNodeFactory.instance.objectNode().put("driver", "file").put("discard-nb-ok", discardsOk.get())
                .put("discard-nb-failed", discardsFailed.get()).put("discard-bytes-ok", discardedBytes.get());
    }

    @Override
    public void preparePermissions(int perm, int shared) {
        if (locks != null) {
            locks.prepare(perm, shared);
        }
    }

    @Override
    public void commitPermissions(int perm, int shared) {
        if (locks != null) {
            locks.commit(perm, shared);
        }
    }

    @Override
    public void abortPermissions() {
        if (locks != null) {
            locks.abort();
        }
    }

    @Override
    public void close() throws IOException {
        PosixFiles.close(fd);
        channel.close();
    }
}
