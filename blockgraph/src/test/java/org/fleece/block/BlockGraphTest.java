package org.fleece.block;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.fleece.qapi.QmpError;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class BlockGraphTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final BlockGraph graph = new BlockGraph();

    @TempDir
    Path dir;

    private static JsonNode json(String text) throws IOException {
        return JSON.readTree(text.replace('\'', '"'));
    }

    private String image(String name, long size) throws IOException {
        Path path = dir.resolve(name);
        try (var file = new java.io.RandomAccessFile(path.toFile(), "rw")) {
            file.setLength(size);
        }
        return path.toString();
    }

    private java.util.List<String> names() {
        return graph.nodes().stream().map(BlockNode::name).toList();
    }

    @Test
    void listsNewestFirstWithInlineChildrenAfterTheirParent() throws IOException {
        String img = image("a.img", 1 << 20);
        graph.add(json("{'driver':'file','node-name':'f0','filename':'" + img + "'}"));
        graph.add(json("{'driver':'raw','node-name':'r0','file':'f0'}"));
        graph.add(json("{'driver':'raw','node-name':'r1','file':{'driver':'file','filename':'" + img + "'}}"));
        assertThat(names()).hasSize(4).startsWith("r1").endsWith("r0", "f0");
        assertThat(names().get(1)).startsWith("#block");
        assertThat(graph.find("r1").children().get("file").parents()).hasSize(1);
    }

    @Test
    void aFailedAddLeavesNothingBehind() throws IOException {
        String img = image("a.img", 1 << 20);
        assertThatThrownBy(() -> graph.add(json("{'driver':'raw','node-name':'r0','size':1000,"
                + "'file':{'driver':'file','node-name':'child','filename':'" + img + "'}}")))
                .isInstanceOf(QmpError.class).hasMessage("Specified size is not multiple of 512");
        assertThat(names()).isEmpty();
        graph.add(json("{'driver':'file','node-name':'child','filename':'" + img + "'}"));
        assertThat(names()).containsExactly("child");
    }

    @Test
    void deletesOnlyWhatTheMonitorOwnsAndNobodyUses() throws IOException {
        String img = image("a.img", 1 << 20);
        graph.add(json("{'driver':'file','node-name':'f0','filename':'" + img + "'}"));
        graph.add(json("{'driver':'raw','node-name':'r0','file':'f0'}"));
        graph.add(json("{'driver':'raw','node-name':'r1','file':{'driver':'file','node-name':'in','filename':'" + img + "'}}"));

        assertThatThrownBy(() -> graph.delete("f0")).hasMessage("Block device f0 is in use");
        assertThatThrownBy(() -> graph.delete("in")).hasMessage("Node in is not owned by the monitor");
        assertThatThrownBy(() -> graph.delete("zz")).hasMessage("Failed to find node with node-name='zz'");
        graph.delete("r1");
        assertThat(names()).containsExactly("r0", "f0");
        graph.delete("r0");
        graph.delete("f0");
        assertThat(names()).isEmpty();
    }

    @Test
    void nodeNamesFollowQemusRules() {
        assertThat(NodeName.wellFormed("a-b.c_9")).isTrue();
        for (String bad : new String[] {"", "0a", "-a", "_a", "a b", "a#b", "café"}) {
            assertThat(NodeName.wellFormed(bad)).as(bad).isFalse();
        }
        assertThatThrownBy(() -> graph.add(json("{'driver':'null-co','node-name':'" + "x".repeat(32) + "'}")))
                .hasMessage("Node name too long");
    }

    @Test
    void readsAndWritesThroughRawWithAnOffset() throws IOException {
        String img = image("a.img", 1 << 20);
        graph.add(json("{'driver':'raw','node-name':'r0','offset':4096,'file':{'driver':'file','filename':'" + img + "'}}"));
        BlockNode raw = graph.find("r0");
        raw.write(0, java.nio.ByteBuffer.wrap("hello".getBytes()));
        byte[] onDisk = new byte[5];
        try (var file = new java.io.RandomAccessFile(img, "r")) {
            file.seek(4096);
            file.readFully(onDisk);
        }
        assertThat(new String(onDisk)).isEqualTo("hello");
        assertThat(raw.length()).isEqualTo((1 << 20) - 4096);
        assertThatThrownBy(() -> raw.read(raw.length() - 1, java.nio.ByteBuffer.allocate(2)))
                .isInstanceOf(BlockIOException.class).hasMessage("Input/output error");
        assertThat(Files.size(Path.of(img))).isEqualTo(1 << 20);
    }

    @Test
    void rawWithAnOffsetHandsReadsOverAsTheFileRegionBelow() throws IOException {
        String img = image("a.img", 1 << 20);
        graph.add(json("{'driver':'raw','node-name':'r0','offset':4096,'file':{'driver':'file','filename':'" + img + "'}}"));
        BlockNode raw = graph.find("r0");
        long[] region = new long[2];
        assertThat(raw.readFileRegion(512, 1024, (file, position, length) -> {
            region[0] = position;
            region[1] = length;
        })).isTrue();
        assertThat(region).containsExactly(4096 + 512, 1024);
        assertThatThrownBy(() -> raw.readFileRegion(raw.length() - 1, 2, (file, position, length) -> { }))
                .isInstanceOf(BlockIOException.class).hasMessage("Input/output error");
    }
}
