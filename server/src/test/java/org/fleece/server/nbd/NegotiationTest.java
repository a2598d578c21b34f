package org.fleece.server.nbd;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;

/** The handshake's bytes, driven over a real socket pair without any export or graph. */
class NegotiationTest {
    @TempDir
    Path dir;
    private SocketChannel client;
    private NbdChannel server;
    private CompletableFuture<Negotiation.Session> result;

    @BeforeEach
    void connect() throws IOException {
        try (ServerSocketChannel listener = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            listener.bind(UnixDomainSocketAddress.of(dir.resolve("s")));
            client = SocketChannel.open(listener.getLocalAddress());
            server = new NbdChannel(listener.accept());
        }
        result = CompletableFuture.supplyAsync(() -> {
            try {
                return new Negotiation(server, new ExportTable(), true, null).run();
            } catch (IOException e) {
                throw new RuntimeException(e);
            }
        });
    }

    @AfterEach
    void close() throws IOException {
        client.close();
        server.close();
    }

    @Test
    void greetsWithFixedNewstyleAndNoZeroes() throws IOException {
        ByteBuffer greeting = read(18);
        assertThat(greeting.getLong()).isEqualTo(Nbd.NBDMAGIC);
        assertThat(greeting.getLong()).isEqualTo(Nbd.IHAVEOPT);
        assertThat(greeting.getShort()).isEqualTo((short) 3);
    }

    @Test
    void listsNothingThenAcknowledges() throws IOException {
        read(18);
        write(ByteBuffer.allocate(4).putInt(3).flip());
        option(Nbd.OPT_LIST, new byte[0]);
        assertThat(replyType()).isEqualTo(Nbd.REP_ACK);
    }

    @Test
    void unknownExportsAndOptionsGetErrorsWithQemusWords() throws IOException {
        read(18);
        write(ByteBuffer.allocate(4).putInt(3).flip());
        byte[] name = "nosuch".getBytes(StandardCharsets.UTF_8);
        option(Nbd.OPT_GO, ByteBuffer.allocate(6 + name.length).putInt(name.length).put(name).putShort((short) 0)
                .array());
        assertThat(replyType()).isEqualTo(Nbd.REP_ERR_UNKNOWN);
        assertThat(lastMessage).isEqualTo("export 'nosuch' not present");
        option(42, new byte[] {1, 2, 3});
        assertThat(replyType()).isEqualTo(Nbd.REP_ERR_UNSUP);
        assertThat(lastMessage).isEqualTo("Unsupported option 42 (<unknown>)");
        option(Nbd.OPT_ABORT, new byte[0]);
        assertThat(replyType()).isEqualTo(Nbd.REP_ACK);
        assertThat(result.join()).isNull();
    }

    @Test
    void unknownClientFlagsEndTheHandshake() throws IOException {
        read(18);
        write(ByteBuffer.allocate(4).putInt(0x10).flip());
        assertThat(result.join()).isNull();
    }

    private String lastMessage;

    private int replyType() throws IOException {
        ByteBuffer header = read(20);
        assertThat(header.getLong()).isEqualTo(Nbd.OPTION_REPLY_MAGIC);
        header.getInt();
        int type = header.getInt();
        lastMessage = new String(read(header.getInt()).array(), StandardCharsets.UTF_8);
        return type;
    }

    private void option(int option, byte[] data) throws IOException {
        write(ByteBuffer.allocate(16 + data.length).putLong(Nbd.IHAVEOPT).putInt(option).putInt(data.length)
                .put(data).flip());
    }

    private void write(ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            client.write(b);
        }
    }

    private ByteBuffer read(int n) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(n);
        while (b.hasRemaining()) {
            if (client.read(b) < 0) {
                throw new IOException("closed");
            }
        }
        return b.flip();
    }
}
