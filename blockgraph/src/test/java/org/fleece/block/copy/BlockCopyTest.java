package org.fleece.block.copy;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.fleece.block.BlockGraph;
import org.fleece.block.BlockNode;
import org.fleece.block.driver.cbw.CopyBeforeWriteDriver;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Data copied between two host files goes through the kernel unless offload
 * is off (x-perf use-copy-range=false). The kernel's copy is told apart by
 * the target channel's position, which only transferTo moves; every other
 * write is positional. Between two such files a job needs two workers at
 * most; a target without file ranges (blkdebug) keeps all it was given.
 */
class BlockCopyTest {
    private static final int SIZE = 4 << 20;
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;
    private final BlockGraph graph = new BlockGraph();
    private byte[] original;

    @AfterEach
    void close() {
        graph.closeAll();
    }

    private BlockCopy copy() throws IOException {
        return copy("{'driver':'file','node-name':'target','filename':'" + dir.resolve("target.img") + "'}");
    }

    private BlockCopy copy(String targetJson) throws IOException {
        original = new byte[SIZE];
        new Random(5).nextBytes(original);
        Files.write(dir.resolve("disk.img"), original);
        Files.write(dir.resolve("target.img"), new byte[SIZE]);
        for (String json : new String[] {
            "{'driver':'file','node-name':'disk','filename':'" + dir.resolve("disk.img") + "'}",
            targetJson,
            "{'driver':'copy-before-write','node-name':'cbw','file':'disk','target':'target'}"}) {
            graph.add(JSON.readTree(json.replace('\'', '"')));
        }
        return ((CopyBeforeWriteDriver) graph.find("cbw").driver()).blockCopy();
    }

    private long targetPosition() throws IOException {
        long[] position = new long[1];
        graph.find("target").writeFileRegion(0, 0, (file, at, length) -> position[0] = file.position());
        return position[0];
    }

    private byte[] target() throws IOException {
        BlockNode node = graph.find("target");
        ByteBuffer data = ByteBuffer.allocate(SIZE);
        node.read(0, data);
        return data.array();
    }

    @Test
    void fileToFileCopiesGoThroughTheKernel() throws Exception {
        BlockCopy copy = copy();
        copy.copyExtent(0, SIZE, false, ByteBuffer.allocateDirect(1 << 20));
        assertThat(targetPosition()).isEqualTo(SIZE);
        assertThat(target()).isEqualTo(original);
    }

    @Test
    void withoutOffloadTheyAreReadAndWritten() throws Exception {
        BlockCopy copy = copy();
        copy.setOffload(false);
        copy.copyExtent(0, SIZE, false, ByteBuffer.allocateDirect(1 << 20));
        assertThat(targetPosition()).isZero();
        assertThat(target()).isEqualTo(original);
    }

    @Test
    void betweenFilesTwoWorkersAreAllThatHelp() throws Exception {
        BlockCopy copy = copy();
        assertThat(copy.usefulWorkers(64)).isEqualTo(2);
        assertThat(copy.usefulWorkers(1)).isEqualTo(1);
        copy.setOffload(false);
        assertThat(copy.usefulWorkers(64)).isEqualTo(64);
    }

    @Test
    void aTargetWithoutFileRangesKeepsEveryWorker() throws Exception {
        BlockCopy copy = copy("{'driver':'blkdebug','node-name':'target','image':{'driver':'file','filename':'"
                + dir.resolve("target.img") + "'}}");
        assertThat(copy.usefulWorkers(64)).isEqualTo(64);
    }
}
