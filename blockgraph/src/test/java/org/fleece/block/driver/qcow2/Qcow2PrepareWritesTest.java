package org.fleece.block.driver.qcow2;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.fleece.block.BlockGraph;
import org.fleece.block.BlockNode;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * prepareWrites, the hint a backup gives its qcow2 target: the L2 tables and
 * refcount blocks that writing the range needs exist right after it, placed
 * among the image's first clusters (the file does not jump ahead), and the
 * image is clean and reads as before. With 4 KiB clusters an L2 table maps
 * 2 MiB and a refcount block counts 8 MiB of host file, so a 24 MiB image
 * needs 12 tables and 4 blocks.
 */
class Qcow2PrepareWritesTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int CLUSTER = 4096;
    private static final int SIZE = 24 << 20;

    @TempDir
    Path dir;

    private final BlockGraph graph = new BlockGraph();
    private BlockNode node;
    private Path image;

    @BeforeEach
    void image() throws Exception {
        QemuImg.assumeInstalled();
        image = dir.resolve("t.qcow2");
        assertThat(QemuImg.run("qemu-img", "create", "-q", "-f", "qcow2", "-o", "cluster_size=" + CLUSTER,
                image.toString(), String.valueOf(SIZE)).exitCode()).isZero();
        graph.add(JSON.readTree(("{'driver':'qcow2','node-name':'t','file':{'driver':'file','filename':'"
                + image + "'}}").replace('\'', '"')));
        node = graph.find("t");
    }

    @Test
    void theTablesAndRefcountBlocksOfTheRangeExistRightAfter() throws Exception {
        assertThat(nonZero(table(36, 40, 8))).isZero();

        node.driver().prepareWrites(0, SIZE);

        assertThat(nonZero(table(36, 40, 8))).isEqualTo(SIZE / (CLUSTER / 8 * CLUSTER));
        assertThat(nonZero(refcountTable())).isEqualTo(4);
        assertThat(Files.size(image)).isLessThan(64L * CLUSTER);
        ByteBuffer read = ByteBuffer.allocate(SIZE);
        node.read(0, read);
        assertThat(nonZero(read.flip())).isZero();
        closedAndClean();
    }

    @Test
    void writesIntoThePreparedRangeAddNoMetadata() throws Exception {
        node.driver().prepareWrites(0, SIZE);
        long prepared = Files.size(image);
        byte[] data = new byte[SIZE];
        Arrays.fill(data, (byte) 0x5a);
        node.write(0, ByteBuffer.wrap(data));

        assertThat(Files.size(image)).isEqualTo(prepared + SIZE);
        ByteBuffer read = ByteBuffer.allocate(SIZE);
        node.read(0, read);
        assertThat(read.flip()).isEqualTo(ByteBuffer.wrap(data));
        closedAndClean();
    }

    @Test
    void aRangeAlreadyInPlaceNeedsNothing() throws Exception {
        node.write(0, ByteBuffer.wrap(new byte[4 << 20]));
        long written = Files.size(image);

        node.driver().prepareWrites(0, 4 << 20);

        assertThat(Files.size(image)).isEqualTo(written);
        closedAndClean();
    }

    private void closedAndClean() throws Exception {
        graph.closeAll();
        QemuImg.Result check = QemuImg.run("qemu-img", "check", image.toString());
        assertThat(check.exitCode()).as(check.output()).isZero();
    }

    /** A table the header names by its size (at sizeAt, 32-bit) and offset (at offsetAt), of entries 8 bytes each. */
    private ByteBuffer table(int sizeAt, int offsetAt, int entryBytes) throws IOException {
        ByteBuffer header = read(0, 72);
        return read(header.getLong(offsetAt), header.getInt(sizeAt) * entryBytes);
    }

    private ByteBuffer refcountTable() throws IOException {
        ByteBuffer header = read(0, 72);
        return read(header.getLong(48), header.getInt(56) * CLUSTER);
    }

    private ByteBuffer read(long offset, int length) throws IOException {
        try (FileChannel file = FileChannel.open(image)) {
            ByteBuffer buffer = ByteBuffer.allocate(length);
            file.read(buffer, offset);
            return buffer.flip();
        }
    }

    /** How many 8-byte entries are not zero. */
    private static int nonZero(ByteBuffer buffer) {
        int count = 0;
        while (buffer.remaining() >= 8) {
            if (buffer.getLong() != 0) {
                count++;
            }
        }
        return count;
    }
}
