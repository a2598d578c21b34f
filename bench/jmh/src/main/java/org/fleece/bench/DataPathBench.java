package org.fleece.bench;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.fleece.block.BlockGraph;
import org.fleece.block.BlockNode;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * Fleece's data path in-process: a raw node over a file node ({@code BlockNode#read/write},
 * which include the node's request checks) against plain {@link FileChannel} positional I/O
 * on the same 2 GiB image, the page cache warm for both. Each benchmark method runs in its
 * own fork (JMH's default), so one's profile does not pollute the other's.
 *
 * <p>Method names are {@code <case>_<target>}: {@code target} is {@code file} (bare FileChannel)
 * or {@code graph}; bench/run-jmh pairs them by case. Random 4 KiB requests follow the same
 * pseudo-random sequence of 4 KiB-aligned offsets for both targets; sequential 1 MiB requests
 * walk the image from 0 and wrap.
 *
 * <p>Each fork starts by flushing the image (fsync), so that no case pays for writing back
 * the pages an earlier case dirtied.
 *
 * <p>The image path comes from the system property {@code fleece.jmh.image}; bench/run-jmh
 * creates it (random data, not sparse) when it does not exist.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-XX:+UseSerialGC"})
public class DataPathBench {
    static final long IMAGE_SIZE = 2L << 30;
    static final int SMALL = 4 << 10;
    static final int LARGE = 1 << 20;
    static final int OFFSETS = 1 << 16;

    static Path image() throws IOException {
        String name = System.getProperty("fleece.jmh.image");
        if (name == null || name.isEmpty()) {
            throw new IllegalStateException("set -Dfleece.jmh.image=PATH (bench/run-jmh does)");
        }
        Path path = Path.of(name);
        if (Files.size(path) != IMAGE_SIZE) {
            throw new IllegalStateException(path + " is not " + IMAGE_SIZE + " bytes");
        }
        return path;
    }

    /** What both targets share: buffers, the random offsets, the sequential cursor. */
    @State(Scope.Thread)
    public static class Requests {
        ByteBuffer small;
        ByteBuffer large;
        long[] randomOffsets;
        int next;
        long sequential;

        @Setup(Level.Trial)
        public void setUp() {
            SplittableRandom random = new SplittableRandom(42);
            small = ByteBuffer.allocateDirect(SMALL);
            large = ByteBuffer.allocateDirect(LARGE);
            for (ByteBuffer buffer : new ByteBuffer[] {small, large}) {
                while (buffer.hasRemaining()) {
                    buffer.putLong(random.nextLong());
                }
                buffer.clear();
            }
            randomOffsets = new long[OFFSETS];
            for (int i = 0; i < OFFSETS; i++) {
                randomOffsets[i] = random.nextLong(IMAGE_SIZE / SMALL) * SMALL;
            }
        }

        long randomOffset() {
            long offset = randomOffsets[next];
            next = (next + 1) & (OFFSETS - 1);
            return offset;
        }

        long sequentialOffset() {
            long offset = sequential;
            sequential = offset + LARGE == IMAGE_SIZE ? 0 : offset + LARGE;
            return offset;
        }

        ByteBuffer small() {
            return small.clear();
        }

        ByteBuffer large() {
            return large.clear();
        }
    }

    /** Plain FileChannel opened read-write, as the file driver opens it. */
    @State(Scope.Benchmark)
    public static class Bare {
        FileChannel channel;

        @Setup(Level.Trial)
        public void open() throws IOException {
            channel = FileChannel.open(image(), StandardOpenOption.READ, StandardOpenOption.WRITE);
            channel.force(false);
        }

        @TearDown(Level.Trial)
        public void close() throws IOException {
            channel.close();
        }

        /** Positional read loop, as any careful caller (and the file driver) writes it. */
        void read(long offset, ByteBuffer dst) throws IOException {
            long position = offset;
            while (dst.hasRemaining()) {
                int n = channel.read(dst, position);
                if (n < 0) {
                    throw new IOException("unexpected end of file");
                }
                position += n;
            }
        }

        void write(long offset, ByteBuffer src) throws IOException {
            long position = offset;
            while (src.hasRemaining()) {
                position += channel.write(src, position);
            }
        }
    }

    /** A raw node r0 over an inline file node f0, built with BlockGraph#add as blockdev-add does. */
    @State(Scope.Benchmark)
    public static class Graph {
        BlockGraph graph;
        BlockNode node;

        @Setup(Level.Trial)
        public void open() throws IOException {
            JsonNodeFactory json = JsonNodeFactory.instance;
            ObjectNode options = json.objectNode().put("driver", "raw").put("node-name", "r0");
            options.set("file", json.objectNode().put("driver", "file").put("node-name", "f0")
                    .put("filename", image().toString()));
            graph = new BlockGraph();
            node = graph.add(options);
            if (node.length() != IMAGE_SIZE) {
                throw new IllegalStateException("node r0 is " + node.length() + " bytes");
            }
            node.flush();
        }

        @TearDown(Level.Trial)
        public void close() {
            graph.delete("r0");
        }
    }

    @Benchmark
    public int randRead4k_file(Bare bare, Requests r) throws IOException {
        ByteBuffer buffer = r.small();
        bare.read(r.randomOffset(), buffer);
        return buffer.position();
    }

    @Benchmark
    public int randRead4k_graph(Graph graph, Requests r) throws IOException {
        ByteBuffer buffer = r.small();
        graph.node.read(r.randomOffset(), buffer);
        return buffer.position();
    }

    @Benchmark
    public int randWrite4k_file(Bare bare, Requests r) throws IOException {
        ByteBuffer buffer = r.small();
        bare.write(r.randomOffset(), buffer);
        return buffer.position();
    }

    @Benchmark
    public int randWrite4k_graph(Graph graph, Requests r) throws IOException {
        ByteBuffer buffer = r.small();
        graph.node.write(r.randomOffset(), buffer);
        return buffer.position();
    }

    @Benchmark
    public int seqRead1m_file(Bare bare, Requests r) throws IOException {
        ByteBuffer buffer = r.large();
        bare.read(r.sequentialOffset(), buffer);
        return buffer.position();
    }

    @Benchmark
    public int seqRead1m_graph(Graph graph, Requests r) throws IOException {
        ByteBuffer buffer = r.large();
        graph.node.read(r.sequentialOffset(), buffer);
        return buffer.position();
    }

    @Benchmark
    public int seqWrite1m_file(Bare bare, Requests r) throws IOException {
        ByteBuffer buffer = r.large();
        bare.write(r.sequentialOffset(), buffer);
        return buffer.position();
    }

    @Benchmark
    public int seqWrite1m_graph(Graph graph, Requests r) throws IOException {
        ByteBuffer buffer = r.large();
        graph.node.write(r.sequentialOffset(), buffer);
        return buffer.position();
    }
}
