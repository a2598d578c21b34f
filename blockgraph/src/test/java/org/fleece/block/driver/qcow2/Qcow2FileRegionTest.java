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
 * scattered clusters are refused, so the caller reads them.
 */
class Qcow2FileRegionTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int CLUSTER = 65536;

    @TempDir
    Path dir;

    private final BlockGraph graph = new BlockGraph();
    private BlockNode top;

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
        Path image = dir.resolve("top.qcow2");
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
}
