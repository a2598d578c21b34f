package org.fleece.server.nbd;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Over a real socket pair: file data sent by sendfile, what happens past the
 * file's end, and replies held back while corked.
 */
class NbdChannelTest {
    @TempDir
    Path dir;
    private SocketChannel client;
    private NbdChannel server;
    private FileChannel file;

    @BeforeEach
    void connect() throws IOException {
        try (ServerSocketChannel listener = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            listener.bind(UnixDomainSocketAddress.of(dir.resolve("s")));
            client = SocketChannel.open(listener.getLocalAddress());
            server = new NbdChannel(listener.accept());
        }
        byte[] data = new byte[1000];
        for (int i = 0; i < data.length; i++) {
            data[i] = (byte) (i % 251 + 1);
        }
        file = FileChannel.open(Files.write(dir.resolve("f"), data));
    }

    @AfterEach
    void close() throws IOException {
        client.close();
        server.close();
        file.close();
    }

    @Test
    void sendsTheFileRangeAndZeroesPastTheFileEnd() throws IOException {
        server.transferAll(file, 900, 300);

        ByteBuffer received = ByteBuffer.allocate(300);
        while (received.hasRemaining()) {
            client.read(received);
        }
        ByteBuffer expected = ByteBuffer.allocate(300);
        for (int i = 900; i < 1000; i++) {
            expected.put((byte) (i % 251 + 1));
        }
        assertThat(received.flip()).isEqualTo(expected.clear());
    }

    @Test
    void corkedRepliesWaitUntilUncorkedAndKeepTheirOrder() throws IOException {
        server.cork();
        server.write(ByteBuffer.wrap(new byte[] {1, 2}));
        server.write(ByteBuffer.wrap(new byte[] {3}), ByteBuffer.wrap(new byte[] {4}));
        client.configureBlocking(false);
        assertThat(client.read(ByteBuffer.allocate(16))).isZero();

        server.uncork();
        client.configureBlocking(true);
        assertThat(readExactly(4)).isEqualTo(ByteBuffer.wrap(new byte[] {1, 2, 3, 4}));
    }

    @Test
    void aMessageTooBigToHoldGoesOutAfterTheHeldOnes() throws IOException {
        server.cork();
        server.write(ByteBuffer.wrap(new byte[] {7}));
        byte[] big = new byte[100 * 1024];
        big[big.length - 1] = 9;
        server.write(ByteBuffer.wrap(big));

        ByteBuffer received = readExactly(1 + big.length);
        assertThat(received.get(0)).isEqualTo((byte) 7);
        assertThat(received.get(big.length)).isEqualTo((byte) 9);
    }

    @Test
    void fileDataFollowsTheHeaderHeldBeforeIt() throws IOException {
        server.cork();
        server.write(ByteBuffer.wrap(new byte[] {42}));
        server.transferAll(file, 0, 2);

        assertThat(readExactly(3)).isEqualTo(ByteBuffer.wrap(new byte[] {42, 1, 2}));
    }

    private ByteBuffer readExactly(int length) throws IOException {
        ByteBuffer received = ByteBuffer.allocate(length);
        while (received.hasRemaining()) {
            client.read(received);
        }
        return received.flip();
    }

    @Test
    void refusesToGuessWhenASocketInNonBlockingModeTakesNothing() throws IOException {
        server.close();
        try (ServerSocketChannel listener = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            listener.bind(UnixDomainSocketAddress.of(dir.resolve("t")));
            client.close();
            client = SocketChannel.open(listener.getLocalAddress());
            SocketChannel socket = listener.accept();
            socket.configureBlocking(false);
            server = new NbdChannel(socket);
        }
        // Nobody reads: the socket's buffer fills and sendfile takes nothing before the file's end.
        assertThatThrownBy(() -> {
            for (int i = 0; i < 100_000; i++) {
                server.transferAll(file, 0, 1000);
            }
        }).isInstanceOf(IOException.class).hasMessage("sendfile made no progress");
    }
}
