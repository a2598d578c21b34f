package org.fleece.server;

import org.fleece.server.cli.CliError;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * --pidfile: the daemon's PID, written and locked (a POSIX record lock, as QEMU
 * takes) so a second daemon with the same file refuses to start; removed at exit.
 */
final class PidFile {
    private final Path path;
    private final FileChannel channel;

    private PidFile(Path path, FileChannel channel) {
        this.path = path;
        this.channel = channel;
    }

    static PidFile write(String name) {
        Path path = Path.of(name);
        FileChannel channel;
        try {
            channel = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        } catch (NoSuchFileException e) {
            throw new CliError("Cannot open pid file: No such file or directory");
        } catch (IOException e) {
            throw new CliError("Cannot open pid file: " + e.getMessage());
        }
        try {
            FileLock lock = channel.tryLock();
            if (lock == null) {
                channel.close();
                throw new CliError("Cannot lock pid file: Resource temporarily unavailable");
            }
            channel.truncate(0);
            channel.write(ByteBuffer.wrap((ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.US_ASCII)));
        } catch (IOException e) {
            throw new CliError("Failed to write pid file: " + e.getMessage());
        }
        return new PidFile(path, channel);
    }

    void remove() {
        try {
            Files.deleteIfExists(path);
            channel.close();
        } catch (IOException ignored) {
            // Exiting anyway; a stale pid file is unlocked and harmless.
        }
    }
}
