package org.fleece.block.driver.qcow2;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.fleece.block.BlockGraph;
import org.fleece.block.BlockNode;
import org.fleece.block.ImageCreator;
import org.fleece.qapi.QmpError;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.function.Supplier;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Images made by blockdev-create's qcow2 creator, judged by QEMU's tools:
 * qemu-img info sees the options asked for, qemu-img check finds nothing,
 * and after Fleece wrote to them they still pass and compare equal to
 * what was written.
 */
class Qcow2CreateTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private final BlockGraph graph = new BlockGraph();

    /** The control thread is the test's own thread here. */
    private final ImageCreator.Context context = new ImageCreator.Context() {
        @Override
        public BlockGraph graph() {
            return graph;
        }

        @Override
        public <T> T onControlThread(Supplier<T> step) {
            return step.get();
        }
    };

    @BeforeAll
    static void needsQemuImg() {
        QemuImg.assumeInstalled();
    }

    private static JsonNode json(String text) throws IOException {
        return JSON.readTree(text.replace('\'', '"'));
    }

    private Path create(String options) throws IOException {
        Path image = dir.resolve("new.qcow2");
        Files.write(image, new byte[0]);
        graph.add(json("{'driver':'file','node-name':'proto','filename':'" + image + "'}"));
        try {
            Qcow2Create.create(json("{'driver':'qcow2','file':'proto'," + options + "}"), context);
        } finally {
            graph.delete("proto");
        }
        return image;
    }

    private static JsonNode info(Path image) throws IOException {
        return JSON.readTree(QemuImg.output("qemu-img", "info", "--output=json", image.toString()));
    }

    private static void assertClean(Path image) {
        String check = QemuImg.output("qemu-img", "check", image.toString());
        assertThat(check).contains("No errors were found on the image.");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "'size':8388608 | 65536 | 16 | 1.1 | false",
        "'size':8388608,'cluster-size':512,'refcount-bits':1 | 512 | 1 | 1.1 | false",
        "'size':8388608,'cluster-size':2097152,'refcount-bits':64 | 2097152 | 64 | 1.1 | false",
        "'size':8388608,'cluster-size':4096,'refcount-bits':8,'lazy-refcounts':true | 4096 | 8 | 1.1 | true",
        "'size':8388608,'version':'v2','cluster-size':1024 | 1024 | 16 | 0.10 | false",
        "'size':8388608,'preallocation':'metadata','cluster-size':512,'refcount-bits':2 | 512 | 2 | 1.1 | false",
        "'size':8388608,'preallocation':'metadata' | 65536 | 16 | 1.1 | false",
    })
    void createdImagesAreWhatWasAskedAndTakeWrites(String options, int clusterSize, int refcountBits, String compat,
                                                    boolean lazy) throws IOException {
        Path image = create(options);
        JsonNode info = info(image);
        assertThat(info.get("cluster-size").asInt()).isEqualTo(clusterSize);
        assertThat(info.get("virtual-size").asLong()).isEqualTo(8 << 20);
        JsonNode specific = info.get("format-specific").get("data");
        assertThat(specific.get("refcount-bits").asInt()).isEqualTo(refcountBits);
        assertThat(specific.get("compat").asText()).isEqualTo(compat);
        assertThat(specific.path("lazy-refcounts").asBoolean(false)).isEqualTo(lazy);
        assertClean(image);

        byte[] model = new byte[8 << 20];
        graph.add(json("{'driver':'qcow2','node-name':'img','file':{'driver':'file','filename':'" + image + "'}}"));
        BlockNode node = graph.find("img");
        Random random = new Random(clusterSize + refcountBits);
        for (int i = 0; i < 200; i++) {
            int offset = random.nextInt(model.length - 70_000);
            byte[] data = new byte[1 + random.nextInt(70_000)];
            random.nextBytes(data);
            node.write(offset, ByteBuffer.wrap(data));
            System.arraycopy(data, 0, model, offset, data.length);
        }
        graph.delete("img");
        assertClean(image);
        Path raw = dir.resolve("model.raw");
        Files.write(raw, model);
        assertThat(QemuImg.output("qemu-img", "compare", "-f", "qcow2", "-F", "raw", image.toString(), raw.toString()))
                .contains("Images are identical.");
    }

    @Test
    void backingFileAndFormatAreInTheHeader() throws IOException {
        Path image = create("'size':1048576,'backing-file':'base.qcow2','backing-fmt':'qcow2'");
        Qcow2Header header = Qcow2Header.parse(ByteBuffer.wrap(Files.readAllBytes(image)), Files.size(image));
        assertThat(header.backingFile()).isEqualTo("base.qcow2");
        assertThat(header.backingFormat()).isEqualTo("qcow2");
        assertThat(header.featureNames()).hasSize(8);
    }

    @Test
    void anImpossibleSizeLeavesAnEmptyValidImage() throws IOException {
        assertThatThrownBy(() -> create("'size':1099511627776,'cluster-size':512"))
                .isInstanceOf(QmpError.class)
                .hasMessage("Could not resize image: Failed to grow the L1 table: File too large");
        Path image = dir.resolve("new.qcow2");
        assertThat(info(image).get("virtual-size").asLong()).isZero();
        assertClean(image);
    }

    @Test
    void tablesThatNeedManyRefcountBlocksAreAllCounted() throws IOException {
        // 512-byte clusters with 64-bit refcounts: a block counts 64 clusters, the 4 MiB L1 table needs 8192.
        Path image = create("'size':17179869184,'cluster-size':512,'refcount-bits':64");
        assertThat(info(image).get("virtual-size").asLong()).isEqualTo(1L << 34);
        assertClean(image);
    }
}
