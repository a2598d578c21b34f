package org.fleece.server.nbd;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Replies to transmission requests: simple replies, or structured reply
 * chunks once the client negotiated them. Each method writes whole messages
 * through the channel's write lock, so request threads may call it at once.
 */
final class ReplyWriter {
    private final NbdChannel channel;
    private final boolean structured;

    ReplyWriter(NbdChannel channel, boolean structured) {
        this.channel = channel;
        this.structured = structured;
    }

    boolean structured() {
        return structured;
    }

    /** Success without data: a simple reply even with structured replies, as QEMU sends (the protocol allows it). */
    void done(long handle) throws IOException {
        channel.write(simpleHeader(handle, 0));
    }

    /** A structured read of nothing: one NONE chunk ends it. */
    void none(long handle) throws IOException {
        channel.write(chunkHeader(handle, Nbd.REPLY_FLAG_DONE, Nbd.REPLY_TYPE_NONE, 0));
    }

    /** A failed request: the errno alone in a simple reply, errno and message in an ERROR chunk. */
    void error(long handle, int errno, String message) throws IOException {
        if (structured) {
            byte[] text = message.getBytes(StandardCharsets.UTF_8);
            ByteBuffer payload = ByteBuffer.allocate(6 + text.length).putInt(errno).putShort((short) text.length)
                    .put(text).flip();
            channel.write(chunkHeader(handle, Nbd.REPLY_FLAG_DONE, Nbd.REPLY_TYPE_ERROR, payload.remaining()), payload);
        } else {
            channel.write(simpleHeader(handle, errno));
        }
    }

    /** A whole read answered without structured replies: header and data. */
    void simpleData(long handle, ByteBuffer data) throws IOException {
        channel.write(simpleHeader(handle, 0), data);
    }

    /** A whole read answered without structured replies, its data sent from a file by the kernel. */
    void simpleData(long handle, FileChannel file, long position, long length) throws IOException {
        sendWithFileData(simpleHeader(handle, 0), file, position, length);
    }

    /** One OFFSET_DATA chunk. */
    void data(long handle, boolean last, long offset, ByteBuffer data) throws IOException {
        channel.write(dataChunkHeader(handle, last, offset, data.remaining()), data);
    }

    /** One OFFSET_DATA chunk, its data sent from a file by the kernel. */
    void data(long handle, boolean last, long offset, FileChannel file, long position, long length)
            throws IOException {
        sendWithFileData(dataChunkHeader(handle, last, offset, (int) length), file, position, length);
    }

    /**
     * Once the header is out the message must be finished: a failure after it
     * leaves the client reading a reply that never ends, so the socket is shut.
     */
    private void sendWithFileData(ByteBuffer header, FileChannel file, long position, long length) throws IOException {
        channel.writeLock().lock();
        try {
            channel.writeAll(header);
            channel.transferAll(file, position, length);
        } catch (IOException e) {
            channel.shutdown();
            throw e;
        } finally {
            channel.writeLock().unlock();
        }
    }

    /** A chunk header and the offset that starts an OFFSET_DATA payload. */
    private static ByteBuffer dataChunkHeader(long handle, boolean last, long offset, int length) {
        return ByteBuffer.allocate(28).putInt(Nbd.STRUCTURED_REPLY_MAGIC)
                .putShort((short) (last ? Nbd.REPLY_FLAG_DONE : 0)).putShort((short) Nbd.REPLY_TYPE_OFFSET_DATA)
                .putLong(handle).putInt(8 + length).putLong(offset).flip();
    }

    /** One OFFSET_HOLE chunk: the range reads as zeroes. */
    void hole(long handle, boolean last, long offset, int length) throws IOException {
        ByteBuffer header = chunkHeader(handle, last ? Nbd.REPLY_FLAG_DONE : 0, Nbd.REPLY_TYPE_OFFSET_HOLE, 12);
        channel.write(header, ByteBuffer.allocate(12).putLong(offset).putInt(length).flip());
    }

    /** One BLOCK_STATUS chunk per context, written as one message so the reply is never split by another. */
    void blockStatus(long handle, List<Extents> contexts) throws IOException {
        ByteBuffer[] buffers = new ByteBuffer[contexts.size() * 2];
        for (int i = 0; i < contexts.size(); i++) {
            Extents extents = contexts.get(i);
            ByteBuffer payload = extents.encode();
            boolean last = i == contexts.size() - 1;
            buffers[2 * i] = chunkHeader(handle, last ? Nbd.REPLY_FLAG_DONE : 0, Nbd.REPLY_TYPE_BLOCK_STATUS,
                    payload.remaining());
            buffers[2 * i + 1] = payload;
        }
        channel.write(buffers);
    }

    static ByteBuffer simpleHeader(long handle, int error) {
        return ByteBuffer.allocate(16).putInt(Nbd.SIMPLE_REPLY_MAGIC).putInt(error).putLong(handle).flip();
    }

    static ByteBuffer chunkHeader(long handle, int flags, int type, int length) {
        return ByteBuffer.allocate(20).putInt(Nbd.STRUCTURED_REPLY_MAGIC).putShort((short) flags)
                .putShort((short) type).putLong(handle).putInt(length).flip();
    }
}
