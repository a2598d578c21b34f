package org.fleece.block.driver.qcow2;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.fleece.block.BlockGraph;
import org.fleece.block.BlockNode;
import org.fleece.block.bitmap.BitmapHash;
import org.fleece.block.bitmap.DirtyBitmap;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Persistent bitmaps through the driver, judged by QEMU's tools: what Fleece
 * stores, qemu-img info lists with the right flags and qemu-img check finds
 * clean; what it loads back has the same bits; the header keeps its other
 * extensions and backing file name across the rewrites.
 */
class Qcow2BitmapsTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private final BlockGraph graph = new BlockGraph();

    @BeforeAll
    static void needsQemuImg() {
        QemuImg.assumeInstalled();
    }

    private Path create(String name, String... options) {
        Path image = dir.resolve(name);
        List<String> command = new ArrayList<>(List.of("qemu-img", "create", "-q", "-f", "qcow2"));
        command.addAll(List.of(options));
        command.addAll(List.of(image.toString(), "64M"));
        assertThat(QemuImg.output(command.toArray(String[]::new))).isEmpty();
        return image;
    }

    private BlockNode open(Path image, boolean readOnly) throws IOException {
        graph.add(JSON.readTree(("{'driver':'qcow2','node-name':'n','read-only':" + readOnly
                + ",'file':{'driver':'file','filename':'" + image + "'}}").replace('\'', '"')));
        return graph.find("n");
    }

    /** What block-dirty-bitmap-add persistent=true leaves in the node. */
    private static DirtyBitmap addPersistent(BlockNode node, String name, long granularity, boolean enabled)
            throws IOException {
        node.driver().checkCanStoreBitmap(node.name(), name, granularity);
        DirtyBitmap bitmap = new DirtyBitmap(name, granularity, node.length());
        bitmap.setPersistent(true);
        bitmap.setEnabled(enabled);
        node.bitmaps().add(bitmap);
        return bitmap;
    }

    /** name -> flags, in the image's order, as qemu-img info reports them. */
    private static Map<String, String> imageBitmaps(Path image) throws IOException {
        JsonNode info = JSON.readTree(QemuImg.output("qemu-img", "info", "-U", "--output=json", image.toString()));
        Map<String, String> bitmaps = new LinkedHashMap<>();
        for (JsonNode bitmap : info.path("format-specific").path("data").path("bitmaps")) {
            bitmaps.put(bitmap.get("name").asText() + "@" + bitmap.get("granularity").asLong(),
                    bitmap.get("flags").toString());
        }
        return bitmaps;
    }

    private static void assertClean(Path image) {
        assertThat(QemuImg.output("qemu-img", "check", image.toString())).contains("No errors were found on the image.")
                .doesNotContain("leaked");
    }

    @Test
    void storesLoadsAndMarksInUseWhileOpen() throws IOException {
        Path image = create("a.qcow2");
        BlockNode node = open(image, false);
        Random random = new Random(64);
        DirtyBitmap a = addPersistent(node, "a", 65536, true);
        DirtyBitmap b = addPersistent(node, "b", 512, false);
        DirtyBitmap c = addPersistent(node, "c", 1 << 20, true);
        for (int i = 0; i < 200; i++) {
            long offset = random.nextLong(node.length() - 70000);
            int length = 1 + random.nextInt(70000);
            node.write(offset, ByteBuffer.allocate(length));
            b.setDirty(offset, length);
        }
        c.setDirty(0, node.length());
        Map<String, String> hashes = Map.of("a", BitmapHash.sha256(a), "b", BitmapHash.sha256(b),
                "c", BitmapHash.sha256(c));
        graph.delete("n");

        assertThat(imageBitmaps(image)).containsExactly(Map.entry("c@1048576", "[\"auto\"]"),
                Map.entry("b@512", "[]"), Map.entry("a@65536", "[\"auto\"]"));
        assertClean(image);

        node = open(image, false);
        assertThat(node.bitmaps().all()).extracting(DirtyBitmap::name).containsExactly("a", "b", "c");
        for (DirtyBitmap loaded : node.bitmaps().all()) {
            assertThat(BitmapHash.sha256(loaded)).as(loaded.name()).isEqualTo(hashes.get(loaded.name()));
            assertThat(loaded.persistent()).isTrue();
            assertThat(loaded.inconsistent()).isFalse();
        }
        assertThat(node.bitmaps().find("b").enabled()).isFalse();
        assertThat(imageBitmaps(image)).containsValues("[\"in-use\",\"auto\"]", "[\"in-use\"]");

        node.driver().removePersistentBitmap("c");
        node.bitmaps().remove(node.bitmaps().find("c"));
        node.bitmaps().find("a").clear();
        graph.delete("n");
        assertThat(imageBitmaps(image)).containsOnlyKeys("b@512", "a@65536");
        assertClean(image);

        node = open(image, true);
        assertThat(node.bitmaps().find("a").count()).isZero();
        assertThat(node.bitmaps().find("a").readonly()).isTrue();
        assertThat(BitmapHash.sha256(node.bitmaps().find("b"))).isEqualTo(hashes.get("b"));
        graph.delete("n");
    }

    @Test
    void removingTheLastBitmapDropsTheExtensionAndAutoclearBit() throws IOException {
        Path image = create("a.qcow2");
        BlockNode node = open(image, false);
        addPersistent(node, "only", 65536, true).setDirty(0, 1 << 20);
        graph.delete("n");
        assertThat(autoclear(image)).isEqualTo(1);

        node = open(image, false);
        node.driver().removePersistentBitmap("only");
        node.bitmaps().remove(node.bitmaps().find("only"));
        graph.delete("n");
        assertThat(imageBitmaps(image)).isEmpty();
        assertThat(autoclear(image)).isZero();
        assertClean(image);
    }

    @Test
    void headerRewritesKeepTheBackingFileAndUnknownExtensions() throws IOException {
        Path base = create("base.qcow2");
        Path image = create("top.qcow2", "-b", base.toString(), "-F", "qcow2");
        byte[] unknown = {0x12, 0x34, 0x56, 0x78, 0, 0, 0, 5, 'h', 'e', 'l', 'l', 'o', 0, 0, 0};
        insertExtension(image, unknown);
        BlockNode node = open(image, false);
        addPersistent(node, "x", 65536, true);
        graph.delete("n");
        JsonNode info = JSON.readTree(QemuImg.output("qemu-img", "info", "--output=json", image.toString()));
        assertThat(info.path("backing-filename").asText()).isEqualTo(base.toString());
        assertThat(info.path("backing-filename-format").asText()).isEqualTo("qcow2");
        assertThat(imageBitmaps(image)).containsOnlyKeys("x@65536");
        assertThat(headerContains(image, unknown)).isTrue();
        assertClean(image);
    }

    @Test
    void refusesBitmapsQemuCannotStore() throws IOException {
        Path v2 = create("v2.qcow2", "-o", "compat=0.10");
        BlockNode node = open(v2, false);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> addPersistent(node, "x", 65536, true))
                .hasMessage("Can't make bitmap 'x' persistent in 'n': Cannot store dirty bitmaps in qcow2 v2 files");
        graph.delete("n");
    }

    @Test
    void aVersion2ImageLosesBitmapsItCannotTrust() throws IOException {
        Path image = create("v2.qcow2", "-o", "compat=0.10");
        ByteBuffer bitmaps = ByteBuffer.allocate(32).putInt(Qcow2Header.EXT_BITMAPS).putInt(24).putInt(1).putInt(0)
                .putLong(64).putLong(3L << 16);
        byte[] unknown = {0x12, 0x34, 0x56, 0x78, 0, 0, 0, 16, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
        insertExtension(image, unknown);
        insertExtension(image, bitmaps.array());
        byte[] before = Files.readAllBytes(image);
        BlockNode node = open(image, false);
        assertThat(node.bitmaps().all()).isEmpty();
        graph.delete("n");
        byte[] after = Files.readAllBytes(image);
        assertThat(headerContains(image, bitmaps.array())).isFalse();
        assertThat(headerContains(image, unknown)).isTrue();
        assertThat(java.util.Arrays.copyOfRange(after, 0, 72)).isEqualTo(java.util.Arrays.copyOfRange(before, 0, 72));
        assertClean(image);
    }

    @Test
    void freedBitmapClustersReachTheFileInOneDiscard() throws IOException {
        Path image = create("small.qcow2", "-o", "cluster_size=4096");
        BlockNode node = open(image, false);
        // 131072 granules of 512 bytes: four clusters of bitmap data, written one after the other.
        addPersistent(node, "b", 512, true).setDirty(0, node.length());
        graph.delete("n");
        node = open(image, false);
        BlockNode file = node.children().get("file");
        long before = file.driver().statistics().get("discard-nb-ok").asLong();
        node.driver().removePersistentBitmap("b");
        node.bitmaps().remove(node.bitmaps().find("b"));
        node.flush();
        assertThat(file.driver().statistics().get("discard-nb-ok").asLong() - before).isEqualTo(1);
        graph.delete("n");
        assertClean(image);
    }

    private static long autoclear(Path image) throws IOException {
        try (RandomAccessFile file = new RandomAccessFile(image.toFile(), "r")) {
            file.seek(Qcow2Header.AUTOCLEAR_OFFSET);
            return file.readLong();
        }
    }

    /** Puts an extension of a type nobody knows first in the list, where qemu-img left room for it. */
    private static void insertExtension(Path image, byte[] extension) throws IOException {
        try (RandomAccessFile file = new RandomAccessFile(image.toFile(), "rw")) {
            byte[] header = new byte[65536];
            file.readFully(header);
            ByteBuffer b = ByteBuffer.wrap(header);
            int start = b.getInt(4) >= 3 ? b.getInt(100) : 72;
            int end = start;
            while (b.getInt(end) != 0) {
                end += 8 + ((b.getInt(end + 4) + 7) & ~7);
            }
            long backingOffset = b.getLong(8);
            byte[] backing = new byte[backingOffset == 0 ? 0 : b.getInt(16)];
            b.get((int) backingOffset, backing);
            ByteBuffer out = ByteBuffer.allocate(65536);
            out.put(header, 0, start).put(extension).put(header, start, end - start).putLong(0);
            if (backingOffset != 0) {
                out.putLong(8, out.position());
                out.put(backing);
            }
            file.seek(0);
            file.write(out.array());
        }
    }

    private static boolean headerContains(Path image, byte[] bytes) throws IOException {
        try (RandomAccessFile file = new RandomAccessFile(image.toFile(), "r")) {
            byte[] header = new byte[65536];
            file.readFully(header);
            for (int i = 0; i + bytes.length <= header.length; i++) {
                if (java.util.Arrays.equals(header, i, i + bytes.length, bytes, 0, bytes.length)) {
                    return true;
                }
            }
            return false;
        }
    }
}
