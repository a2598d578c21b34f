package org.fleece.block;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.fleece.qapi.QmpError;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.fleece.block.Permission.ALL;
import static org.fleece.block.Permission.CONSISTENT_READ;
import static org.fleece.block.Permission.RESIZE;
import static org.fleece.block.Permission.WRITE;
import static org.fleece.block.Permission.WRITE_UNCHANGED;

class PermissionTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int READ = CONSISTENT_READ.bit();
    private static final int WRITE_BIT = WRITE.bit();
    private final BlockGraph graph = new BlockGraph();

    @TempDir
    Path dir;

    private BlockNode add(String text) throws IOException {
        JsonNode options = JSON.readTree(text.replace('\'', '"').replace("IMG", image()));
        return graph.add(options);
    }

    private String image() throws IOException {
        Path path = dir.resolve("disk.img");
        try (var file = new RandomAccessFile(path.toFile(), "rw")) {
            if (file.length() == 0) {
                file.setLength(1 << 20);
            }
        }
        return path.toString();
    }

    @Test
    void rawPassesItsUsersNeedsToTheFileAndUnusedNodesAskNothing() throws IOException {
        add("{'driver': 'file', 'node-name': 'f0', 'filename': 'IMG'}");
        BlockNode raw = add("{'driver': 'raw', 'node-name': 'r0', 'file': 'f0'}");
        Child file = raw.childEdges().getFirst();
        assertThat(file.perm()).isZero();
        assertThat(file.shared()).isEqualTo(ALL);

        BlockBackend backend = graph.attachBackend(raw, "", READ | WRITE_BIT, ALL & ~RESIZE.bit());
        assertThat(file.perm()).isEqualTo(READ | WRITE_BIT);
        assertThat(file.shared()).isEqualTo(ALL & ~RESIZE.bit());

        backend.detach();
        assertThat(file.perm()).isZero();
        assertThat(file.shared()).isEqualTo(ALL);
    }

    @Test
    void aWindowOfRawNeverLetsOthersResizeItsFile() throws IOException {
        add("{'driver': 'file', 'node-name': 'f0', 'filename': 'IMG'}");
        BlockNode window = add("{'driver': 'raw', 'node-name': 'w0', 'file': 'f0', 'offset': 512}");
        Child file = window.childEdges().getFirst();
        assertThat(file.shared()).isEqualTo(ALL & ~RESIZE.bit());
        BlockNode whole = add("{'driver': 'raw', 'node-name': 'r0', 'file': 'f0', 'offset': 0}");
        assertThat(whole.childEdges().getFirst().shared()).as("offset 0 is no window").isEqualTo(ALL);

        graph.attachBackend(window, "", READ | WRITE_BIT, ALL);
        assertThat(file.perm()).as("write, but no resize: raw takes what its users take")
                .isEqualTo(READ | WRITE_BIT);
    }

    @Test
    void aConflictNamesBothUsersAndChangesNothing() throws IOException {
        BlockNode file = add("{'driver': 'file', 'node-name': 'f0', 'filename': 'IMG'}");
        BlockBackend writer = graph.attachBackend(file, "", READ | WRITE_BIT, READ);

        assertThatThrownBy(() -> graph.attachBackend(file, "", READ | WRITE_BIT, ALL))
                .isInstanceOf(QmpError.class)
                .hasMessage("Permission conflict on node 'f0': permissions 'write' are both required by an unnamed"
                        + " block device (uses node 'f0' as 'root' child) and unshared by an unnamed block device"
                        + " (uses node 'f0' as 'root' child).");
        assertThat(file.parents()).containsExactly(writer.rootEdge());
        assertThat(graph.backends()).containsExactly(writer);

        BlockBackend reader = graph.attachBackend(file, "", READ, ALL);
        assertThatThrownBy(() -> reader.setPermissions(READ | WRITE_BIT | RESIZE.bit(), ALL))
                .hasMessage("Permission conflict on node 'f0': permissions 'write, resize' are both required by an"
                        + " unnamed block device (uses node 'f0' as 'root' child) and unshared by an unnamed block"
                        + " device (uses node 'f0' as 'root' child).");
        assertThat(reader.perm()).isEqualTo(READ);
    }

    @Test
    void theNewestUserIsCheckedFirst() throws IOException {
        BlockNode file = add("{'driver': 'file', 'node-name': 'f0', 'filename': 'IMG'}");
        add("{'driver': 'raw', 'node-name': 'w0', 'file': 'f0', 'size': 4096}");

        assertThatThrownBy(() -> graph.attachBackend(file, "", READ | RESIZE.bit(), READ))
                .hasMessage("Permission conflict on node 'f0': permissions 'resize' are both required by an unnamed"
                        + " block device (uses node 'f0' as 'root' child) and unshared by node 'w0' (uses node 'f0'"
                        + " as 'file' child).");
    }

    @Test
    void writersNeedAWritableNode() throws IOException {
        BlockNode raw = add("{'driver': 'raw', 'node-name': 'r0', 'read-only': true,"
                + " 'file': {'driver': 'file', 'filename': 'IMG'}}");
        assertThatThrownBy(() -> graph.attachBackend(raw, "", WRITE_UNCHANGED.bit(), ALL))
                .hasMessage("Block node is read-only");
        assertThat(raw.parents()).isEmpty();
    }

    @Test
    void aNodeWithAUserCannotBeDeleted() throws IOException {
        BlockNode raw = add("{'driver': 'raw', 'node-name': 'r0', 'file': {'driver': 'file', 'filename': 'IMG'}}");
        BlockBackend user = graph.attachBackend(raw, "", READ, ALL);
        assertThatThrownBy(() -> graph.delete("r0")).hasMessage("Node r0 is in use");
        user.detach();
        graph.delete("r0");
        assertThat(graph.nodes()).isEmpty();
    }

    @Test
    void forceShareMakesEveryParentShareEverything() throws IOException {
        BlockNode raw = add("{'driver': 'raw', 'node-name': 'r0', 'offset': 512, 'read-only': true,"
                + " 'file': {'driver': 'file', 'filename': 'IMG', 'force-share': true}}");
        assertThat(raw.childEdges().getFirst().shared()).isEqualTo(ALL);
    }

    @Test
    void twoFileNodesOnOneImageRespectEachOthersLocks() throws IOException {
        BlockNode first = add("{'driver': 'raw', 'node-name': 'r1', 'file': {'driver': 'file', 'filename': 'IMG'}}");
        BlockNode second = add("{'driver': 'raw', 'node-name': 'r2', 'file': {'driver': 'file', 'filename': 'IMG'}}");
        BlockBackend writer = graph.attachBackend(first, "", READ | WRITE_BIT, ALL);

        assertThatThrownBy(() -> graph.attachBackend(second, "", READ, READ))
                .hasMessage("Failed to get shared \"write\" lock");
        assertThat(graph.backends()).containsExactly(writer);

        BlockBackend exclusive = graph.attachBackend(second, "", READ, ALL);
        assertThatThrownBy(() -> exclusive.setPermissions(READ, READ)).hasMessage("Failed to get shared \"write\" lock");
        writer.detach();
        exclusive.setPermissions(READ, READ);
        assertThatThrownBy(() -> graph.attachBackend(first, "", READ | WRITE_BIT, ALL))
                .hasMessage("Failed to get \"write\" lock");
    }

    @Test
    void lockingOffTakesNoLocks() throws IOException {
        BlockNode first = add("{'driver': 'raw', 'node-name': 'r1',"
                + " 'file': {'driver': 'file', 'filename': 'IMG', 'locking': 'off'}}");
        BlockNode second = add("{'driver': 'raw', 'node-name': 'r2', 'file': {'driver': 'file', 'filename': 'IMG'}}");
        graph.attachBackend(first, "", READ | WRITE_BIT, READ);
        graph.attachBackend(second, "", READ | WRITE_BIT, READ);
    }

    @Test
    void aBackendIsTheDoorForItsOwnersIo() throws IOException {
        BlockNode raw = add("{'driver': 'raw', 'node-name': 'r0', 'file': {'driver': 'file', 'filename': 'IMG'}}");
        BlockBackend backend = graph.attachBackend(raw, "", READ | WRITE_BIT, ALL);
        backend.write(4096, ByteBuffer.wrap(new byte[] {1, 2, 3, 4}), RequestFlags.FUA);
        ByteBuffer back = ByteBuffer.allocate(4);
        backend.read(4096, back);
        assertThat(back.array()).containsExactly(1, 2, 3, 4);
    }
}
