package org.fleece.block.driver;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.fleece.block.BlockGraph;
import org.fleece.block.BlockNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.assertj.core.api.Assertions.assertThat;

/** cache.direct=on: any offset, length and buffer work, the file keeps its size and concurrent writes their data. */
class DirectIoTest {
    /** Not a multiple of any block size, so the last block is partial. */
    private static final int SIZE = (1 << 20) + 1000;
    private final BlockGraph graph = new BlockGraph();

    @TempDir
    Path dir;

    private BlockNode directNode() throws IOException {
        Path path = dir.resolve("disk.img");
        try (RandomAccessFile file = new RandomAccessFile(path.toFile(), "rw")) {
            file.setLength(SIZE);
        }
        return graph.add(new ObjectMapper().readTree(("{'driver':'file','node-name':'f0','filename':'" + path
                + "','cache':{'direct':true}}").replace('\'', '"')));
    }

    @Test
    void readsAreNotHandedOverAsAFileRegionThatWouldComeThroughThePageCache() throws IOException {
        BlockNode node = directNode();
        assertThat(node.readFileRegion(0, 4096, (file, position, length) -> {
            throw new AssertionError("handed over");
        })).isFalse();
    }

    @Test
    void unalignedRequestsReadBackWhatWasWritten() throws IOException {
        BlockNode node = directNode();
        byte[] model = new byte[SIZE];
        Random random = new Random(42);
        for (int i = 0; i < 300; i++) {
            int length = 1 + random.nextInt(20_000);
            int offset = random.nextInt(SIZE - length + 1);
            byte[] data = new byte[length];
            random.nextBytes(data);
            System.arraycopy(data, 0, model, offset, length);
            ByteBuffer src = random.nextBoolean() ? ByteBuffer.wrap(data)
                    : ByteBuffer.allocateDirect(length).put(data).flip();
            node.write(offset, src);
        }
        for (int i = 0; i < 300; i++) {
            int length = 1 + random.nextInt(20_000);
            int offset = random.nextInt(SIZE - length + 1);
            ByteBuffer dst = random.nextBoolean() ? ByteBuffer.allocate(length) : ByteBuffer.allocateDirect(length);
            node.read(offset, dst);
            byte[] got = new byte[length];
            dst.flip().get(got);
            byte[] expected = new byte[length];
            System.arraycopy(model, offset, expected, 0, length);
            assertThat(got).as("read %d at %d", length, offset).isEqualTo(expected);
        }
        assertThat(Files.size(dir.resolve("disk.img"))).isEqualTo(SIZE);
        assertThat(openedWithODirect(dir.resolve("disk.img"))).isTrue();
    }

    /** Whether this process has the file open with O_DIRECT (octal 040000 in fdinfo's flags). */
    private static boolean openedWithODirect(Path file) throws IOException {
        try (var fds = Files.list(Path.of("/proc/self/fd"))) {
            for (Path fd : fds.toList()) {
                try {
                    if (Files.readSymbolicLink(fd).equals(file)) {
                        String flags = Files.readAllLines(Path.of("/proc/self/fdinfo", fd.getFileName().toString()))
                                .stream().filter(l -> l.startsWith("flags:")).findFirst().orElseThrow();
                        if ((Long.parseLong(flags.substring(6).trim(), 8) & 040000) != 0) {
                            return true;
                        }
                    }
                } catch (IOException closedMeanwhile) {
                    // The listing's own descriptor and others come and go.
                }
            }
        }
        return false;
    }

    @Test
    void concurrentUnalignedWritesToOneBlockAllLand() throws Exception {
        BlockNode node = directNode();
        List<Future<?>> writes = new ArrayList<>();
        try (var threads = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < 64; i++) {
                byte value = (byte) (i + 1);
                int offset = i * 64;
                byte[] data = new byte[64];
                Arrays.fill(data, value);
                writes.add(threads.submit(() -> {
                    node.write(offset, ByteBuffer.wrap(data));
                    return null;
                }));
            }
        }
        for (Future<?> write : writes) {
            write.get();
        }
        ByteBuffer back = ByteBuffer.allocate(64 * 64);
        node.read(0, back);
        for (int i = 0; i < 64 * 64; i++) {
            assertThat(back.get(i)).as("byte %d", i).isEqualTo((byte) (i / 64 + 1));
        }
    }
}
