package org.fleece.block.driver.cbw;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.fleece.block.BlockGraph;
import org.fleece.block.BlockIOException;
import org.fleece.block.BlockNode;
import org.fleece.block.bitmap.DirtyBitmap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Snapshot reads through copy-before-write show the disk as it was when the filter went in, whatever races them. */
class CopyBeforeWriteDriverTest {
    private static final int SIZE = 4 << 20;
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;
    private final BlockGraph graph = new BlockGraph();

    private byte[] setUp(long seed, String cbwExtra) throws Exception {
        byte[] original = new byte[SIZE];
        new Random(seed).nextBytes(original);
        Files.write(dir.resolve("disk.img"), original);
        Files.write(dir.resolve("fleece.img"), new byte[SIZE]);
        add("{\"driver\":\"file\",\"node-name\":\"disk\",\"filename\":\"" + dir.resolve("disk.img") + "\"}");
        add("{\"driver\":\"raw\",\"node-name\":\"fleece\",\"file\":{\"driver\":\"file\",\"filename\":\""
                + dir.resolve("fleece.img") + "\"}}");
        add("{\"driver\":\"copy-before-write\",\"node-name\":\"cbw\",\"file\":\"disk\",\"target\":\"fleece\"" + cbwExtra
                + "}");
        add("{\"driver\":\"snapshot-access\",\"node-name\":\"snap\",\"file\":\"cbw\",\"discard\":\"unmap\"}");
        return original;
    }

    private void add(String options) throws Exception {
        JsonNode node = JSON.readTree(options);
        graph.add(node);
    }

    private static byte[] read(BlockNode node, long offset, int length) throws Exception {
        ByteBuffer buffer = ByteBuffer.allocate(length);
        node.read(offset, buffer);
        return buffer.array();
    }

    @Test
    void snapshotReadsOfEverySizeAndAlignmentRaceGuestWritesAndSeeTheStart() throws Exception {
        for (long seed = 1; seed <= 3; seed++) {
            byte[] original = setUp(seed, "");
            BlockNode cbw = graph.find("cbw");
            BlockNode snap = graph.find("snap");
            AtomicInteger wrong = new AtomicInteger();
            List<CompletableFuture<Void>> workers = new ArrayList<>();
            for (int w = 0; w < 3; w++) {
                Random random = new Random(seed * 100 + w);
                workers.add(CompletableFuture.runAsync(() -> {
                    try {
                        for (int i = 0; i < 400; i++) {
                            int length = 512 * (1 + random.nextInt(256));
                            long offset = 512L * random.nextInt((SIZE - length) / 512);
                            byte[] data = new byte[length];
                            random.nextBytes(data);
                            cbw.write(offset, ByteBuffer.wrap(data));
                        }
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                }));
            }
            for (int r = 0; r < 2; r++) {
                Random random = new Random(seed * 1000 + r);
                workers.add(CompletableFuture.runAsync(() -> {
                    try {
                        for (int i = 0; i < 300; i++) {
                            int length = 4096 * (1 + random.nextInt(random.nextBoolean() ? 16 : 1024));
                            long offset = 512L * random.nextInt((SIZE - length) / 512 + 1);
                            byte[] seen = read(snap, offset, length);
                            if (!Arrays.equals(seen, 0, length, original, (int) offset, (int) offset + length)) {
                                wrong.incrementAndGet();
                            }
                        }
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                }));
            }
            CompletableFuture.allOf(workers.toArray(CompletableFuture[]::new)).get(120, TimeUnit.SECONDS);
            assertThat(wrong).hasValue(0);
            assertThat(read(snap, 0, SIZE)).isEqualTo(original);
            assertThat(read(cbw, 0, SIZE)).isNotEqualTo(original);
            tearDown();
        }
    }

    @Test
    void aBitmapLimitsWhatIsCopiedAndReadableAndADiscardLetsGo() throws Exception {
        byte[] original = new byte[SIZE];
        new Random(7).nextBytes(original);
        Files.write(dir.resolve("disk.img"), original);
        Files.write(dir.resolve("fleece.img"), new byte[SIZE]);
        add("{\"driver\":\"file\",\"node-name\":\"disk\",\"filename\":\"" + dir.resolve("disk.img") + "\"}");
        add("{\"driver\":\"raw\",\"node-name\":\"fleece\",\"file\":{\"driver\":\"file\",\"filename\":\""
                + dir.resolve("fleece.img") + "\"}}");
        DirtyBitmap bitmap = new DirtyBitmap("b0", 65536, SIZE);
        graph.find("disk").bitmaps().add(bitmap);
        bitmap.markDirty(65536, 65536);
        add("{\"driver\":\"copy-before-write\",\"node-name\":\"cbw\",\"file\":\"disk\",\"target\":\"fleece\","
                + "\"bitmap\":{\"node\":\"disk\",\"name\":\"b0\"}}");
        add("{\"driver\":\"snapshot-access\",\"node-name\":\"snap\",\"file\":\"cbw\",\"discard\":\"unmap\"}");
        BlockNode cbw = graph.find("cbw");
        BlockNode snap = graph.find("snap");

        cbw.write(0, ByteBuffer.wrap(new byte[3 * 65536]));
        assertThat(read(snap, 65536, 65536)).isEqualTo(Arrays.copyOfRange(original, 65536, 131072));
        assertThat(read(graph.find("fleece"), 65536, 65536)).isEqualTo(Arrays.copyOfRange(original, 65536, 131072));
        assertThat(read(graph.find("fleece"), 0, 65536)).isEqualTo(new byte[65536]);
        assertThatThrownBy(() -> read(snap, 0, 65536)).isInstanceOf(BlockIOException.class)
                .hasMessage("Permission denied");
        assertThatThrownBy(() -> read(snap, 65536 - 512, 1024)).isInstanceOf(BlockIOException.class);

        snap.discard(65536, 65536);
        assertThatThrownBy(() -> read(snap, 65536, 65536)).isInstanceOf(BlockIOException.class)
                .hasMessage("Permission denied");
        assertThatThrownBy(() -> snap.write(0, ByteBuffer.allocate(512))).isInstanceOf(BlockIOException.class)
                .hasMessage("Operation not supported");
    }

    @Test
    void onlyDataCopiedToTheTargetIsHandedOverAsAFileRegion() throws Exception {
        byte[] original = setUp(9, "");
        BlockNode cbw = graph.find("cbw");
        BlockNode snap = graph.find("snap");
        cbw.write(0, ByteBuffer.wrap(new byte[65536]));

        assertThat(regionBytes(snap, 0, 65536)).isEqualTo(Arrays.copyOfRange(original, 0, 65536));
        assertThat(snap.readFileRegion(65536, 65536, (file, position, length) -> {
            throw new AssertionError("old data still on the active disk changes under sendfile's pages");
        })).isFalse();
        assertThat(snap.readFileRegion(0, 131072, (file, position, length) -> {
            throw new AssertionError("a range of two pieces has no single file region");
        })).isFalse();
        assertThat(read(snap, 65536, 65536)).isEqualTo(Arrays.copyOfRange(original, 65536, 131072));
    }

    @Test
    void anEmptyRangeAsksWhetherCopiedDataWouldGoAsAFileRegion() throws Exception {
        setUp(9, "");
        assertThat(graph.find("snap").readFileRegion(0, 0, (file, position, length) -> { })).isTrue();
    }

    private static byte[] regionBytes(BlockNode node, long offset, int length) throws Exception {
        byte[] bytes = new byte[length];
        assertThat(node.readFileRegion(offset, length, (file, position, n) ->
                file.read(ByteBuffer.wrap(bytes, 0, (int) n), position))).isTrue();
        return bytes;
    }

    private void tearDown() {
        for (String name : new String[] {"snap", "cbw", "fleece", "disk"}) {
            graph.delete(name);
        }
    }
}
