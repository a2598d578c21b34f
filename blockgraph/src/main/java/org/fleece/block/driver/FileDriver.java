package org.fleece.block.driver;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.fleece.block.BlockDriver;
import org.fleece.block.ChildOpener;
import org.fleece.block.NodeOptions;
import org.fleece.block.PosixFiles;
import org.fleece.qapi.QmpError;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/** The `file` protocol driver: a host file, read and written at positions with FileChannel. */
final class FileDriver implements BlockDriver {
    private final Path path;
    private final FileChannel channel;

    private FileDriver(Path path, FileChannel channel) {
        this.path = path;
        this.channel = channel;
    }

    static BlockDriver open(JsonNode options, NodeOptions base, ChildOpener children) {
        String filename = options.get("filename").asText();
        Path path = Path.of(filename);
        if (Files.isDirectory(path)) {
            throw QmpError.generic("Could not open '" + filename + "': Is a directory");
        }
        try {
            return new FileDriver(path, base.readOnly()
                    ? FileChannel.open(path, StandardOpenOption.READ)
                    : FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE));
        } catch (AccessDeniedException e) {
            if (!base.readOnly() && base.autoReadOnly()) {
                try {
                    return new FileDriver(path, FileChannel.open(path, StandardOpenOption.READ));
                } catch (IOException retry) {
                    throw couldNotOpen(filename, retry);
                }
            }
            throw couldNotOpen(filename, e);
        } catch (IOException e) {
            throw couldNotOpen(filename, e);
        }
    }

    private static QmpError couldNotOpen(String filename, IOException e) {
        return QmpError.generic("Could not open '" + filename + "': " + Errno.describe(e));
    }

    @Override
    public String name() {
        return "file";
    }

    @Override
    public long size() throws IOException {
        return channel.size();
    }

    @Override
    public void read(long offset, ByteBuffer dst) throws IOException {
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

    @Override
    public void write(long offset, ByteBuffer src) throws IOException {
        long position = offset;
        while (src.hasRemaining()) {
            position += channel.write(src, position);
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
    public void close() throws IOException {
        channel.close();
    }
}
