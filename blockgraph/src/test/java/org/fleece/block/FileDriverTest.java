package org.fleece.block;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The file driver on a real sparse file: holes stay holes, and block status sees them. */
class FileDriverTest {
    private static final int MIB = 1 << 20;
    private final BlockGraph graph = new BlockGraph();

    @TempDir
    Path dir;

    private BlockNode node(String extra) throws IOException {
        Path path = dir.resolve("disk.img");
        try (RandomAccessFile file = new RandomAccessFile(path.toFile(), "rw")) {
            file.setLength(4L * MIB);
        }
        graph.add(new ObjectMapper().readTree(("{'driver':'file','node-name':'f0','filename':'" + path + "'" + extra + "}")
                .replace('\'', '"')));
        return graph.find("f0");
    }

    private static ByteBuffer pattern(int size, byte value) {
        ByteBuffer buffer = ByteBuffer.allocateDirect(size);
        while (buffer.hasRemaining()) {
            buffer.put(value);
        }
        return buffer.flip();
    }

    @Test
    void blockStatusFindsDataBetweenHoles() throws IOException {
        BlockNode node = node("");
        node.write(MIB, pattern(MIB, (byte) 0x5a));

        assertThat(node.blockStatus(0, 4L * MIB)).isEqualTo(new BlockStatus(MIB, false, true, true));
        assertThat(node.blockStatus(MIB, 3L * MIB)).isEqualTo(new BlockStatus(MIB, true, false, true));
        assertThat(node.blockStatus(2L * MIB, 2L * MIB)).isEqualTo(new BlockStatus(2L * MIB, false, true, true));
        assertThat(PosixFiles.allocatedBytes(dir.resolve("disk.img"))).isEqualTo(MIB);
    }

    @Test
    void writeZeroesWithUnmapPunchesAHoleAndReadsBackZeroes() throws IOException {
        BlockNode node = node(",'discard':'unmap'");
        node.write(0, pattern(2 * MIB, (byte) 1));
        node.writeZeroes(0, MIB, RequestFlags.MAY_UNMAP);

        assertThat(PosixFiles.allocatedBytes(dir.resolve("disk.img"))).isEqualTo(MIB);
        ByteBuffer back = ByteBuffer.allocate(MIB);
        node.read(0, back);
        assertThat(back.flip()).isEqualTo(ByteBuffer.allocate(MIB));
        assertThat(node.blockStatus(0, 2L * MIB).zero()).isTrue();
    }

    @Test
    void dataFoundEarlierIsForgottenOnceDiscardOrWriteZeroesMakeHoles() throws IOException {
        BlockNode node = node(",'discard':'unmap'");
        node.write(0, pattern(2 * MIB, (byte) 1));
        assertThat(node.blockStatus(0, 4L * MIB)).isEqualTo(new BlockStatus(2L * MIB, true, false, true));

        node.discard(0, MIB);
        assertThat(node.blockStatus(0, 4L * MIB)).isEqualTo(new BlockStatus(MIB, false, true, true));
        assertThat(node.blockStatus(MIB, 3L * MIB)).isEqualTo(new BlockStatus(MIB, true, false, true));

        node.writeZeroes(MIB, MIB / 2, RequestFlags.MAY_UNMAP);
        assertThat(node.blockStatus(MIB, 3L * MIB)).isEqualTo(new BlockStatus(MIB / 2, false, true, true));
    }

    @Test
    void readsHandTheRangeOverAsARegionOfTheFile() throws IOException {
        BlockNode node = node("");
        node.write(MIB, pattern(MIB, (byte) 7));
        ByteBuffer seen = ByteBuffer.allocate(4096);
        boolean handed = node.readFileRegion(MIB, 4096, (file, position, length) -> {
            assertThat(position).isEqualTo(MIB);
            assertThat(length).isEqualTo(4096);
            file.read(seen, position);
        });
        assertThat(handed).isTrue();
        assertThat(seen.flip()).isEqualTo(pattern(4096, (byte) 7));
        assertThatThrownBy(() -> node.readFileRegion(4L * MIB, 1, (file, position, length) -> { }))
                .isInstanceOf(BlockIOException.class);
    }

    @Test
    void discardIsDroppedUnlessTheNodeSaysUnmap() throws IOException {
        BlockNode node = node("");
        node.write(0, pattern(MIB, (byte) 1));
        node.discard(0, MIB);
        assertThat(PosixFiles.allocatedBytes(dir.resolve("disk.img"))).isEqualTo(MIB);
    }

    @Test
    void readOnlyNodesRefuseWritesWithEperm() throws IOException {
        BlockNode node = node(",'read-only':true");
        assertThatThrownBy(() -> node.write(0, pattern(512, (byte) 1)))
                .isInstanceOf(BlockIOException.class).hasMessage("Operation not permitted");
    }
}
