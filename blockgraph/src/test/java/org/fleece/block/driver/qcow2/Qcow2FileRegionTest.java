package org.fleece.block.driver.qcow2;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.fleece.block.BlockGraph;
import org.fleece.block.BlockNode;
import org.fleece.block.RequestFlags;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Ranges a qcow2 node hands over as ranges of a host file (for sendfile):
 * consecutive host clusters of its own, or its backing file's where it has
 * nothing; the bytes found there are the guest's. Zeroes and ranges across
 * scattered clusters are refused, so the caller reads them. For writes
 * (a copy offloaded to the kernel): whole clusters, in place or in one new
 * host run linked once filled; the image stays clean whatever the sink does.
 */
class Qcow2FileRegionTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int CLUSTER = 65536;

    @TempDir
    Path dir;

    private final BlockGraph graph = new BlockGraph();
    private BlockNode top;
    private Path image;

    private static void qemuImg(String... args) throws Exception {
        String[] command = new String[args.length + 1];
        command[0] = "qemu-img";
        System.arraycopy(args, 0, command, 1, args.length);
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        assertThat(p.waitFor()).isZero();
    }

    @BeforeEach
    void images() throws Exception {
        Assumptions.assumeTrue(new ProcessBuilder("qemu-img", "--version").start().waitFor() == 0);
        Path base = dir.resolve("base.raw");
        image = dir.resolve("top.qcow2");
        qemuImg("create", "-q", "-f", "raw", base.toString(), "4M");
        qemuImg("create", "-q", "-f", "qcow2", "-b", base.toString(), "-F", "raw", image.toString(), "4M");
        graph.add(JSON.readTree(("{'driver':'raw','node-name':'base','file':{'driver':'file','filename':'"
                + base + "'}}").replace('\'', '"')));
        graph.add(JSON.readTree(("{'driver':'qcow2','node-name':'top','backing':'base','file':{'driver':'file',"
                + "'filename':'" + image + "'}}").replace('\'', '"')));
        top = graph.find("top");
        graph.find("base").write(0, ByteBuffer.wrap(filled(4 << 20, 0x11)));
    }

    private static byte[] filled(int length, int value) {
        byte[] bytes = new byte[length];
        Arrays.fill(bytes, (byte) value);
        return bytes;
    }

    /** What readFileRegion hands over, read back from the file it names; null when it refuses. */
    private byte[] region(long offset, int length) throws IOException {
        byte[][] got = new byte[1][];
        boolean given = top.readFileRegion(offset, length, (FileChannel file, long position, long bytes) -> {
            ByteBuffer buffer = ByteBuffer.allocate((int) bytes);
            file.read(buffer, position);
            got[0] = buffer.array();
        });
        return given ? got[0] : null;
    }

    @Test
    void consecutiveClustersAndTheBackingFileAreHandedOver() throws IOException {
        top.write(0, ByteBuffer.wrap(filled(2 * CLUSTER, 0x22)));
        assertThat(region(1000, 2 * CLUSTER - 1000)).isEqualTo(filled(2 * CLUSTER - 1000, 0x22));
        assertThat(region(3 * CLUSTER, 100)).isEqualTo(filled(100, 0x11));
    }

    @Test
    void zeroesAndMixedRangesAreRefused() throws IOException {
        top.write(0, ByteBuffer.wrap(filled(CLUSTER, 0x22)));
        top.writeZeroes(2 * CLUSTER, CLUSTER, RequestFlags.MAY_UNMAP);
        assertThat(region(2 * CLUSTER, 100)).isNull();
        assertThat(region(CLUSTER - 100, 200)).isNull();
        assertThat(top.readFileRegion(0, 0, (file, position, bytes) -> { })).isTrue();
    }

    @Test
    void anEmptyRangeAsksWhetherWritesCanGoToTheHostFile() throws IOException {
        long allocated = image.toFile().length();
        assertThat(top.writeFileRegion(0, 0, (file, position, bytes) -> { })).isTrue();
        assertThat(image.toFile().length()).isEqualTo(allocated);
    }

    /** Fills what writeFileRegion hands over with the byte; false when it refuses. */
    private boolean fill(long offset, int length, int value) throws IOException {
        return top.writeFileRegion(offset, length, (FileChannel file, long position, long bytes) ->
                file.write(ByteBuffer.wrap(filled((int) bytes, value)), position));
    }

    private byte[] read(long offset, int length) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(length);
        top.read(offset, buffer);
        return buffer.array();
    }

    private void closedAndClean() throws Exception {
        graph.closeAll();
        qemuImg("check", "-q", image.toString());
    }

    @Test
    void wholeUnallocatedClustersGetOneNewHostRun() throws Exception {
        assertThat(fill(CLUSTER, 3 * CLUSTER, 0x33)).isTrue();
        assertThat(read(0, CLUSTER)).isEqualTo(filled(CLUSTER, 0x11));
        assertThat(read(CLUSTER, 3 * CLUSTER)).isEqualTo(filled(3 * CLUSTER, 0x33));
        assertThat(region(CLUSTER, 3 * CLUSTER)).isEqualTo(filled(3 * CLUSTER, 0x33));
        closedAndClean();
    }

    @Test
    void allocatedClustersAreFilledInPlace() throws Exception {
        top.write(0, ByteBuffer.wrap(filled(2 * CLUSTER, 0x22)));
        long[] before = new long[1];
        top.readFileRegion(0, 2 * CLUSTER, (file, position, bytes) -> before[0] = position);
        assertThat(fill(0, 2 * CLUSTER, 0x44)).isTrue();
        top.readFileRegion(0, 2 * CLUSTER, (file, position, bytes) -> assertThat(position).isEqualTo(before[0]));
        assertThat(read(0, 2 * CLUSTER)).isEqualTo(filled(2 * CLUSTER, 0x44));
        closedAndClean();
    }

    @Test
    void partialOrMixedRangesAreLeftToTheOrdinaryWrite() throws Exception {
        top.write(0, ByteBuffer.wrap(filled(CLUSTER, 0x22)));
        assertThat(fill(2 * CLUSTER, CLUSTER + 512, 0x55)).isFalse();
        assertThat(fill(3 * CLUSTER + 512, CLUSTER, 0x55)).isFalse();
        assertThat(fill(0, 2 * CLUSTER, 0x55)).isFalse();
        assertThat(read(0, 4 * CLUSTER)).isEqualTo(concat(filled(CLUSTER, 0x22), filled(3 * CLUSTER, 0x11)));
        closedAndClean();
    }

    @Test
    void aFailingSinkLeavesTheGuestDataAndNoLeakedClusters() throws Exception {
        IOException failure = new IOException("copy failed");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> top.writeFileRegion(0, 2 * CLUSTER,
                (file, position, bytes) -> {
                    throw failure;
                })).isSameAs(failure);
        assertThat(read(0, 2 * CLUSTER)).isEqualTo(filled(2 * CLUSTER, 0x11));
        top.flush();
        closedAndClean();
    }

    @Test
    void aRunAcrossTwoL2TablesWhereOnlyTheFirstExists() throws Exception {
        // 4 KiB clusters: an L2 table maps 2 MiB, and the first one exists once cluster 0 is written.
        Path small = dir.resolve("small.qcow2");
        qemuImg("create", "-q", "-f", "qcow2", "-o", "cluster_size=4096", small.toString(), "4M");
        graph.add(JSON.readTree(("{'driver':'qcow2','node-name':'small','file':{'driver':'file','filename':'"
                + small + "'}}").replace('\'', '"')));
        BlockNode node = graph.find("small");
        node.write(0, ByteBuffer.wrap(filled(4096, 0x22)));

        int length = (4 << 20) - 4096;
        assertThat(node.writeFileRegion(4096, length, (file, position, bytes) ->
                file.write(ByteBuffer.wrap(filled((int) bytes, 0x66)), position))).isTrue();

        ByteBuffer back = ByteBuffer.allocate(4 << 20);
        node.read(0, back);
        assertThat(back.array()).isEqualTo(concat(filled(4096, 0x22), filled(length, 0x66)));
        graph.closeAll();
        qemuImg("check", "-q", small.toString());
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] both = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, both, a.length, b.length);
        return both;
    }
}
