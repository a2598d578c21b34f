package org.fleece.block.driver;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.fleece.block.BlockGraph;
import org.fleece.block.BlockIOException;
import org.fleece.block.BlockNode;
import org.fleece.block.Breakpoints;
import org.fleece.block.Child;
import org.fleece.block.Errno;
import org.fleece.block.Permission;
import org.fleece.qapi.QmpError;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** blkdebug in a graph: the events the nodes above fire, requests passed to the image, its options. */
class BlkdebugDriverTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final BlockGraph graph = new BlockGraph();

    @TempDir
    Path dir;

    private static JsonNode json(String text) throws IOException {
        return JSON.readTree(text.replace('\'', '"'));
    }

    private String image() throws IOException {
        Path path = dir.resolve("disk.img");
        try (RandomAccessFile file = new RandomAccessFile(path.toFile(), "rw")) {
            file.setLength(1 << 20);
        }
        return path.toString();
    }

    /** raw "disk" over blkdebug "debug" (with the given extra options) over a file. */
    private BlockNode disk(String blkdebugOptions) throws IOException {
        graph.add(json("{'driver':'blkdebug','node-name':'debug','image':{'driver':'file','filename':'" + image()
                + "'}" + blkdebugOptions + "}"));
        graph.add(json("{'driver':'raw','node-name':'disk','file':'debug'}"));
        return graph.find("disk");
    }

    private static void fails(ThrowingCall call, Errno errno) {
        assertThatThrownBy(call::run)
                .isInstanceOfSatisfying(BlockIOException.class, e -> assertThat(e.errno()).isEqualTo(errno));
    }

    @FunctionalInterface
    private interface ThrowingCall {
        void run() throws IOException;
    }

    private static ByteBuffer filled(int value) {
        byte[] bytes = new byte[512];
        Arrays.fill(bytes, (byte) value);
        return ByteBuffer.wrap(bytes);
    }

    @Test
    void rawFiresReadAioAndWriteAioOnItsFile() throws IOException {
        BlockNode disk = disk(",'inject-error':[{'event':'read_aio','errno':28,'iotype':'read'},"
                + "{'event':'write_aio','errno':5,'iotype':'write'}]");
        BlockNode debug = graph.find("debug");
        // Requests straight to the blkdebug node fire no read_aio or write_aio.
        assertThatCode(() -> debug.read(0, ByteBuffer.allocate(512))).doesNotThrowAnyException();
        fails(() -> disk.read(0, ByteBuffer.allocate(512)), Errno.ENOSPC);
        fails(() -> disk.write(0, filled(1)), Errno.EIO);
    }

    @Test
    void writesFirePwritevOnTheNodeWritten() throws IOException {
        BlockNode debug = disk(",'inject-error':[{'event':'pwritev','errno':28,'once':true},"
                + "{'event':'pwritev_zero','errno':5,'once':true}]").children().get("file");
        fails(() -> debug.write(0, filled(1)), Errno.ENOSPC);
        fails(() -> debug.writeZeroes(0, 512, 0), Errno.EIO);
        assertThatCode(() -> debug.write(0, filled(1))).doesNotThrowAnyException();
    }

    @Test
    void flushToDiskFiresOnlyAfterAWrite() throws IOException {
        BlockNode disk = disk(",'set-state':[{'event':'flush_to_disk','new_state':2}],"
                + "'inject-error':[{'event':'read_aio','state':2}]");
        disk.flush();
        assertThatCode(() -> disk.read(0, ByteBuffer.allocate(512))).doesNotThrowAnyException();
        disk.write(0, filled(1));
        disk.flush();
        fails(() -> disk.read(0, ByteBuffer.allocate(512)), Errno.EIO);
    }

    @Test
    void aFailedRequestNeverReachesTheImage() throws IOException {
        BlockNode disk = disk(",'inject-error':[{'event':'write_aio','once':true,'immediately':true}]");
        fails(() -> disk.write(0, filled(0x11)), Errno.EIO);
        assertThat(Files.readAllBytes(dir.resolve("disk.img"))[0]).isEqualTo((byte) 0);
        disk.write(0, filled(0x22));
        assertThat(Files.readAllBytes(dir.resolve("disk.img"))[0]).isEqualTo((byte) 0x22);
    }

    @Test
    void theNoneEventFiresWhenTheNodeOpens() throws IOException {
        BlockNode disk = disk(",'inject-error':[{'event':'none','errno':28,'sector':1}]");
        assertThatCode(() -> disk.read(0, ByteBuffer.allocate(512))).doesNotThrowAnyException();
        fails(() -> disk.read(512, ByteBuffer.allocate(512)), Errno.ENOSPC);
    }

    @Test
    void breakpointsAreFoundDownThePrimaryChildren() throws IOException {
        BlockNode disk = disk("");
        assertThat(disk.primaryChild().name()).isEqualTo("debug");
        assertThat(Breakpoints.below(disk)).isSameAs(graph.find("debug").driver());
        assertThat(Breakpoints.below(graph.find("debug").primaryChild())).isNull();
        assertThatThrownBy(() -> Breakpoints.below(disk).breakpoint("bogus", "t"))
                .isInstanceOfSatisfying(BlockIOException.class, e -> assertThat(e.errno()).isEqualTo(Errno.ENOENT));
    }

    @Test
    void fileNames() throws IOException {
        String img = image();
        graph.add(json("{'driver':'blkdebug','node-name':'plain','image':{'driver':'file','filename':'" + img + "'}}"));
        graph.add(json("{'driver':'blkdebug','node-name':'rules','image':'plain',"
                + "'inject-error':[{'event':'read_aio','errno':5}]}"));
        assertThat(graph.find("plain").driver().filename()).isEqualTo("blkdebug::" + img);
        assertThat(graph.find("rules").driver().filename()).isEqualTo("json:{\"image\": {\"image\": "
                + "{\"driver\": \"file\", \"filename\": \"" + img + "\"}, \"driver\": \"blkdebug\"}, "
                + "\"driver\": \"blkdebug\", \"inject-error.0.event\": \"read_aio\", "
                + "\"inject-error.0.errno\": 5}");
    }

    @Test
    void optionsFleeceDoesNotSupport() throws IOException {
        String img = image();
        String base = "{'driver':'blkdebug','node-name':'x','image':{'driver':'file','filename':'" + img + "'}";
        assertThatThrownBy(() -> graph.add(json(base + ",'config':'" + img + "'}"))).isInstanceOf(QmpError.class)
                .hasMessage("blkdebug: config files are not supported by Fleece (use inject-error and set-state)");
        assertThatThrownBy(() -> graph.add(json(base + ",'max-transfer':4096}"))).isInstanceOf(QmpError.class)
                .hasMessage("blkdebug: 'max-transfer' is not supported by Fleece");
        assertThatThrownBy(() -> graph.add(json(base + ",'inject-error':[{'event':'read_aio','errno':-1}]}")))
                .isInstanceOf(QmpError.class).hasMessage("blkdebug: errno -1 is not supported by Fleece");
        assertThat(graph.nodes()).isEmpty();
    }

    @Test
    void takeAndUnshareChildPermissions() throws IOException {
        String img = image();
        graph.add(json("{'driver':'file','node-name':'f0','filename':'" + img + "'}"));
        graph.add(json("{'driver':'blkdebug','node-name':'taker','image':'f0','take-child-perms':['write']}"));
        Child edge = graph.find("taker").childEdges().getFirst();
        assertThat(edge.perm()).isEqualTo(Permission.WRITE.bit());
        assertThatThrownBy(() -> graph.add(json("{'driver':'blkdebug','node-name':'refuser','image':'f0',"
                + "'unshare-child-perms':['write']}"))).isInstanceOf(QmpError.class).hasMessage(
                "Permission conflict on node 'f0': permissions 'write' are both required by node 'taker' (uses node "
                        + "'f0' as 'image' child) and unshared by node 'refuser' (uses node 'f0' as 'image' child).");
    }
}
