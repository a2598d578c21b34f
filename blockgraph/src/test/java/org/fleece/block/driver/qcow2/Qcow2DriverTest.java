package org.fleece.block.driver.qcow2;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.fleece.block.BlockGraph;
import org.fleece.block.BlockNode;
import org.fleece.block.RequestFlags;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Executors;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The qcow2 driver against a model of the disk, judged by QEMU's tools:
 * images qemu-img made, written by Fleece in every layout, must read back
 * as the model says, pass qemu-img check without errors or leaks, and
 * compare equal to the model with qemu-img compare.
 */
class Qcow2DriverTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private final BlockGraph graph = new BlockGraph();

    @BeforeAll
    static void needsQemuImg() {
        QemuImg.assumeInstalled();
    }

    private Path create(String name, long size, String options) {
        Path image = dir.resolve(name);
        QemuImg.Result result = QemuImg.run("qemu-img", "create", "-q", "-f", "qcow2", "-o", options, image.toString(), Long.toString(size));
        assertThat(result.exitCode()).as(result.output()).isZero();
        return image;
    }

    private BlockNode open(String nodeName, Path image, String extra) throws IOException {
        graph.add(JSON.readTree(("{'driver':'qcow2','node-name':'" + nodeName + "','discard':'unmap',"
                + "'file':{'driver':'file','filename':'" + image + "','discard':'unmap'}" + extra + "}")
                .replace('\'', '"')));
        return graph.find(nodeName);
    }

    private void checkClean(Path image) {
        QemuImg.Result check = QemuImg.run("qemu-img", "check", image.toString());
        assertThat(check.exitCode()).as(check.output()).isZero();
        assertThat(check.output()).contains("No errors were found on the image.");
    }

    private void compareWith(Path image, byte[] model) throws IOException {
        Path raw = dir.resolve("model.raw");
        Files.write(raw, model);
        QemuImg.Result compare = QemuImg.run("qemu-img", "compare", "-f", "qcow2", "-F", "raw", image.toString(), raw.toString());
        assertThat(compare.exitCode()).as(compare.output()).isZero();
    }

    private static void assertReads(BlockNode node, byte[] model, long offset, int length) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(length);
        node.read(offset, buffer);
        byte[] expected = Arrays.copyOfRange(model, (int) offset, (int) offset + length);
        // The first difference only: AssertJ would describe megabytes of array.
        int differs = Arrays.mismatch(buffer.array(), expected);
        assertThat(differs).as("first difference reading %d+%d at offset %d", offset, length, offset + differs)
                .isEqualTo(-1);
    }

    /** Random writes, write-zeroes (with and without unmap) and discards, checked against a byte-array disk. */
    private static void workload(BlockNode node, byte[] model, long seed, int operations)
            throws IOException {
        Random random = new Random(seed);
        int size = model.length;
        for (int i = 0; i < operations; i++) {
            int offset = random.nextInt(size / 512) * 512 + (random.nextInt(4) == 0 ? random.nextInt(512) : 0);
            int length = Math.min(size - offset, 1 + random.nextInt(random.nextBoolean() ? 8192 : 300_000));
            switch (random.nextInt(10)) {
                case 0, 1 -> {
                    node.writeZeroes(offset, length, random.nextBoolean() ? RequestFlags.MAY_UNMAP : 0);
                    Arrays.fill(model, offset, offset + length, (byte) 0);
                }
                case 2 -> {
                    node.discard(offset, length);
                    // Whole clusters only; they read as zeroes (v3: zero clusters, v2: no backing to show).
                    int cluster = clusterSizeOf(node);
                    long start = (offset + cluster - 1L) / cluster * cluster;
                    long end = offset + length == size ? size : (long) (offset + length) / cluster * cluster;
                    if (start < end) {
                        Arrays.fill(model, (int) start, (int) end, (byte) 0);
                    }
                }
                case 3 -> node.flush();
                default -> {
                    byte[] data = new byte[length];
                    random.nextBytes(data);
                    node.write(offset, ByteBuffer.wrap(data));
                    System.arraycopy(data, 0, model, offset, length);
                }
            }
            if (i % 7 == 0) {
                int at = random.nextInt(size - 1);
                assertReads(node, model, at, Math.min(size - at, 1 + random.nextInt(200_000)));
            }
        }
        assertReads(node, model, 0, size);
    }

    private static int clusterSizeOf(BlockNode node) {
        return ((Qcow2Driver) node.driver()).header().clusterSize();
    }

    @ParameterizedTest(name = "cluster {0}, refcount bits {1}, compat {2}")
    @CsvSource({"512,1,1.1", "512,64,1.1", "4096,16,1.1", "65536,16,1.1", "65536,16,0.10", "2097152,16,1.1",
            "1024,2,1.1", "2048,32,1.1", "4096,16,0.10"})
    void randomWorkloadMatchesModelAndPassesCheck(int clusterSize, int refcountBits, String compat) throws IOException {
        int size = 8 << 20;
        Path image = create("a.qcow2", size, "cluster_size=" + clusterSize + ",refcount_bits=" + refcountBits
                + ",compat=" + compat);
        byte[] model = new byte[size];
        BlockNode node = open("a", image, "");
        workload(node, model, clusterSize * 31L + refcountBits, 300);
        graph.delete("a");
        checkClean(image);
        compareWith(image, model);

        BlockNode again = open("a", image, "");
        assertReads(again, model, 0, size);
        workload(again, model, 99, 100);
        graph.delete("a");
        checkClean(image);
        compareWith(image, model);
    }

    @Test
    void tinyCachesStillWork() throws IOException {
        int size = 16 << 20;
        Path image = create("a.qcow2", size, "cluster_size=4096");
        byte[] model = new byte[size];
        BlockNode node = open("a", image, ",'l2-cache-size':8192,'refcount-cache-size':16384");
        workload(node, model, 7, 300);
        graph.delete("a");
        checkClean(image);
        compareWith(image, model);
    }

    @Test
    void backingChainFallsThroughAndCopiesOnWrite() throws IOException {
        int size = 4 << 20;
        Path base = create("base.qcow2", size, "cluster_size=65536");
        byte[] model = new byte[size];
        BlockNode baseNode = open("base", base, "");
        workload(baseNode, model, 5, 100);
        graph.delete("base");
        QemuImg.Result created = QemuImg.run("qemu-img", "create", "-q", "-f", "qcow2", "-b", "base.qcow2", "-F", "qcow2",
                "-o", "cluster_size=4096", dir.resolve("top.qcow2").toString());
        assertThat(created.exitCode()).as(created.output()).isZero();
        Path top = dir.resolve("top.qcow2");
        BlockNode node = open("top", top, "");
        assertReads(node, model, 0, size);
        // discard in a layer with a backing file makes zero clusters, so the model holds.
        workload(node, model, 6, 200);
        graph.delete("top");
        checkClean(top);
        checkClean(base);
        compareWith(top, model);
    }

    @Test
    void concurrentWritersAndReaders() throws Exception {
        int size = 64 << 20;
        Path image = create("a.qcow2", size, "cluster_size=65536");
        BlockNode node = open("a", image, "");
        byte[] model = new byte[size];
        int slices = 32;
        int slice = size / slices;
        try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < slices; t++) {
                int index = t;
                done.add(threads.submit(() -> {
                    Random random = new Random(index);
                    for (int i = 0; i < 200; i++) {
                        // Writes of one thread stay in its slice; clusters at slice edges are shared by neighbours.
                        int length = 1 + random.nextInt(20_000);
                        int offset = index * slice + random.nextInt(slice - length);
                        byte[] data = new byte[length];
                        random.nextBytes(data);
                        node.write(offset, ByteBuffer.wrap(data));
                        synchronized (model) {
                            System.arraycopy(data, 0, model, offset, length);
                        }
                        ByteBuffer back = ByteBuffer.allocate(length);
                        node.read(offset, back);
                        assertThat(Arrays.mismatch(back.array(), data)).isEqualTo(-1);
                        if (i % 50 == 0) {
                            node.flush();
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get();
            }
        }
        assertReads(node, model, 0, size);
        graph.delete("a");
        checkClean(image);
        compareWith(image, model);
    }

    @Test
    void readsCompressedClustersAndRewritesThem() throws IOException {
        int size = 2 << 20;
        Path raw = dir.resolve("src.raw");
        byte[] model = new byte[size];
        Random random = new Random(3);
        for (int i = 0; i < size; i += 4096) {
            Arrays.fill(model, i, i + 4096, (byte) random.nextInt(4));
        }
        Files.write(raw, model);
        Path image = dir.resolve("c.qcow2");
        QemuImg.Result converted = QemuImg.run("qemu-img", "convert", "-c", "-f", "raw", "-O", "qcow2", raw.toString(), image.toString());
        assertThat(converted.exitCode()).as(converted.output()).isZero();
        BlockNode node = open("c", image, "");
        assertReads(node, model, 0, size);
        workload(node, model, 11, 100);
        graph.delete("c");
        checkClean(image);
        compareWith(image, model);
    }

    @Test
    void growsWithBlockResize() throws IOException {
        Path image = create("a.qcow2", 1 << 20, "cluster_size=512");
        BlockNode node = open("a", image, "");
        graph.resize(null, "a", 64 << 20);
        byte[] model = new byte[64 << 20];
        workload(node, model, 13, 100);
        graph.delete("a");
        checkClean(image);
        compareWith(image, model);
    }
}
