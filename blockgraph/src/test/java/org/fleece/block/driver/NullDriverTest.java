package org.fleece.block.driver;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.fleece.block.BlockGraph;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** null-co tells its users whether its requests are done at once, so NBD serves them without a thread hand-off. */
class NullDriverTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final BlockGraph graph = new BlockGraph();

    @TempDir
    Path dir;

    @AfterEach
    void close() {
        graph.closeAll();
    }

    @Test
    void completesAtOnceUnlessItHasALatency() throws IOException {
        graph.add(JSON.readTree("{\"driver\":\"null-co\",\"node-name\":\"quick\",\"size\":1048576}"));
        graph.add(JSON.readTree("{\"driver\":\"null-co\",\"node-name\":\"slow\",\"latency-ns\":1000}"));
        assertThat(graph.find("quick").completesAtOnce()).isTrue();
        assertThat(graph.find("slow").completesAtOnce()).isFalse();
    }

    @Test
    void aFileNodeDoesNotCompleteAtOnce() throws IOException {
        Path image = Files.createFile(dir.resolve("disk.img"));
        graph.add(JSON.readTree("{\"driver\":\"file\",\"node-name\":\"f\",\"filename\":\"" + image + "\"}"));
        assertThat(graph.find("f").completesAtOnce()).isFalse();
    }
}
