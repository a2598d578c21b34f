package org.fleece.block.driver;

import com.fasterxml.jackson.databind.JsonNode;
import org.fleece.block.Errno;
import org.fleece.block.Permission;
import org.fleece.block.PosixFiles;
import org.fleece.qapi.QmpError;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * blockdev-create for the `file` driver: creates (or empties) a host file and
 * gives it its size, preallocated as asked, in QEMU's steps and words. While
 * it works it holds the image locks of a writer that lets nobody resize the
 * file, so a file another process (or node) writes is refused, not clobbered.
 * nocow and extent-size-hint are accepted and left to the file system's
 * defaults: QEMU applies them only where the file system has them (btrfs,
 * xfs) and goes on without them elsewhere.
 */
public final class FileCreate {
    private static final long MAX_EXTENT_SIZE_HINT = 0xffffffffL;
    private static final int ZERO_CHUNK = 1 << 20;

    private FileCreate() {
    }

    /** Runs on the create job's worker; a QmpError is the job's error. */
    public static void create(JsonNode options) {
        String filename = options.get("filename").asText();
        long size = options.get("size").asLong();
        String prealloc = options.path("preallocation").asText("off");
        if (options.path("extent-size-hint").asLong(0) > MAX_EXTENT_SIZE_HINT
                || options.path("extent-size-hint").asLong(0) < 0) {
            throw QmpError.generic("Extent size hint is too large");
        }
        Path path = Path.of(filename);
        try (FileChannel channel = FileChannel.open(path, java.util.Set.of(StandardOpenOption.CREATE,
                StandardOpenOption.READ, StandardOpenOption.WRITE),
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-r--r--")))) {
            int fd = PosixFiles.open(path, true);
            try {
                new ImageLocks(fd, filename).prepare(Permission.WRITE.bit() | Permission.RESIZE.bit(),
                        Permission.ALL & ~Permission.RESIZE.bit());
                resize(fd, 0);
                preallocate(fd, channel, size, prealloc);
            } finally {
                // Closing the descriptor drops its locks.
                PosixFiles.close(fd);
            }
        } catch (IOException e) {
            throw QmpError.generic("Could not create '" + filename + "': " + Errno.describe(e));
        }
    }

    private static void preallocate(int fd, FileChannel channel, long size, String prealloc) {
        switch (prealloc) {
            case "off" -> resize(fd, size);
            case "falloc" -> {
                try {
                    PosixFiles.fallocate(fd, 0, 0, size);
                } catch (IOException e) {
                    throw QmpError.generic("Could not preallocate new data: " + Errno.describe(e));
                }
            }
            case "full" -> {
                resize(fd, size);
                try {
                    ByteBuffer zeroes = ByteBuffer.allocateDirect(ZERO_CHUNK);
                    for (long at = 0; at < size; at += ZERO_CHUNK) {
                        zeroes.clear().limit((int) Math.min(ZERO_CHUNK, size - at));
                        while (zeroes.hasRemaining()) {
                            channel.write(zeroes, at + zeroes.position());
                        }
                    }
                } catch (IOException e) {
                    throw QmpError.generic("Could not write zeros for preallocation: " + Errno.describe(e));
                }
            }
            default -> throw QmpError.generic("Unsupported preallocation mode: " + prealloc);
        }
    }

    private static void resize(int fd, long size) {
        try {
            PosixFiles.truncate(fd, size);
        } catch (IOException e) {
            throw QmpError.generic("Could not resize file: " + Errno.describe(e));
        }
    }
}
