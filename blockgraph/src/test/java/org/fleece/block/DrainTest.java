package org.fleece.block;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Graph changes wait for requests in flight, and requests never run into a node that is changing. */
class DrainTest {
    private static final long LATENCY_MS = 300;
    private final BlockGraph graph = new BlockGraph();

    private BlockNode slowNode() throws Exception {
        graph.add(new ObjectMapper().readTree("{\"driver\":\"null-co\",\"node-name\":\"slow\",\"size\":1048576,"
                + "\"latency-ns\":" + TimeUnit.MILLISECONDS.toNanos(LATENCY_MS) + "}"));
        return graph.find("slow");
    }

    @Test
    void deleteWaitsForTheRequestInFlightThenLaterRequestsFail() throws Exception {
        BlockNode node = slowNode();
        CountDownLatch started = new CountDownLatch(1);
        CompletableFuture<Void> read = CompletableFuture.runAsync(() -> {
            started.countDown();
            try {
                node.read(0, ByteBuffer.allocate(512));
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        started.await();
        Thread.sleep(50);

        long before = System.nanoTime();
        graph.delete("slow");
        long waitedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - before);

        assertThat(read).succeedsWithin(5, TimeUnit.SECONDS);
        assertThat(waitedMs).isGreaterThanOrEqualTo(LATENCY_MS - 100);
        assertThat(graph.find("slow")).isNull();
        assertThatThrownBy(() -> node.read(0, ByteBuffer.allocate(512)))
                .isInstanceOf(BlockIOException.class).hasMessage("Input/output error");
    }

    @Test
    void requestsArrivingDuringADrainWaitForItsEnd() throws Exception {
        BlockNode node = slowNode();
        node.drainBegin();
        CompletableFuture<Void> read = CompletableFuture.runAsync(() -> {
            try {
                node.read(0, ByteBuffer.allocate(512));
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        Thread.sleep(100);
        assertThat(read).isNotDone();
        node.drainEnd();
        assertThat(read).succeedsWithin(5, TimeUnit.SECONDS);
    }

    @Test
    void aRequestWaitingAtTheGateGoesToTheFilterInsertedMeanwhile(@TempDir Path dir) throws Exception {
        byte[] old = new byte[65536];
        Arrays.fill(old, (byte) 0x11);
        Files.write(dir.resolve("disk.img"), old);
        Files.write(dir.resolve("fleece.img"), new byte[65536]);
        ObjectMapper json = new ObjectMapper();
        graph.add(json.readTree("{\"driver\":\"file\",\"node-name\":\"disk\",\"filename\":\""
                + dir.resolve("disk.img") + "\"}"));
        graph.add(json.readTree("{\"driver\":\"file\",\"node-name\":\"fleece\",\"filename\":\""
                + dir.resolve("fleece.img") + "\"}"));
        BlockNode disk = graph.find("disk");
        BlockBackend guest = graph.attachBackend(disk, "", Permission.WRITE.bit() | Permission.CONSISTENT_READ.bit(),
                Permission.ALL);
        disk.drainBegin();
        CompletableFuture<Void> write = CompletableFuture.runAsync(() -> {
            try {
                guest.write(0, ByteBuffer.wrap(new byte[4096]), 0);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        Thread.sleep(100);
        assertThat(write).isNotDone();
        graph.insertFilter(json.readTree("{\"driver\":\"copy-before-write\",\"node-name\":\"cbw\","
                + "\"file\":\"disk\",\"target\":\"fleece\"}"), disk, driver -> { });
        disk.drainEnd();
        assertThat(write).succeedsWithin(5, TimeUnit.SECONDS);
        assertThat(guest.node()).isSameAs(graph.find("cbw"));
        ByteBuffer copied = ByteBuffer.allocate(4096);
        graph.find("fleece").read(0, copied);
        assertThat(copied.array()).containsOnly((byte) 0x11);
    }
}
