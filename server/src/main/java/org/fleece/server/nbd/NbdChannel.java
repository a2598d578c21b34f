package org.fleece.server.nbd;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.SocketChannel;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One client's socket: buffered reads for the one thread that reads requests,
 * and whole-message writes that many request threads share. A message is
 * written under the write lock from its first byte to its last, so replies
 * finished out of order never interleave.
 * <p>
 * While the reader works through requests it has already read ({@link #cork}),
 * small replies are held back and go out together the moment it would wait
 * for anything: one send for a whole batch instead of one send, and one
 * wake-up of the client, per request.
 */
final class NbdChannel implements AutoCloseable {
    private static final int READ_BUFFER = 64 * 1024;
    private static final int HELD_REPLIES = 64 * 1024;

    private final SocketChannel socket;
    private final ByteBuffer in = ByteBuffer.allocateDirect(READ_BUFFER).flip();
    private final ReentrantLock writeLock = new ReentrantLock();
    /** Replies held back while corked; guarded by the write lock. */
    private final ByteBuffer held = ByteBuffer.allocateDirect(HELD_REPLIES);
    private volatile boolean corked;

    NbdChannel(SocketChannel socket) {
        this.socket = socket;
    }

    SocketChannel socket() {
        return socket;
    }

    /** Fills dst completely; the peer hanging up first is an EOFException. */
    void readFully(ByteBuffer dst) throws IOException {
        while (dst.hasRemaining()) {
            if (in.hasRemaining()) {
                int n = Math.min(in.remaining(), dst.remaining());
                ByteBuffer slice = in.slice(in.position(), n);
                dst.put(slice);
                in.position(in.position() + n);
                continue;
            }
            uncork();
            if (dst.remaining() >= READ_BUFFER) {
                // Large payloads go straight into their buffer, not through ours.
                if (socket.read(dst) < 0) {
                    throw new EOFException("client closed the connection");
                }
            } else {
                in.clear();
                int n = socket.read(in);
                in.flip();
                if (n < 0) {
                    throw new EOFException("client closed the connection");
                }
            }
        }
    }

    /** Whether bytes the client sent are already read and waiting here: another request, most likely. */
    boolean buffered() {
        return in.hasRemaining();
    }

    ByteBuffer read(int length) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(length);
        readFully(buffer);
        return buffer.flip();
    }

    /** Reads and drops bytes the server will not use (the rest of a rejected option). */
    void skip(long length) throws IOException {
        ByteBuffer scratch = ByteBuffer.allocate((int) Math.min(length, READ_BUFFER));
        for (long left = length; left > 0; left -= scratch.capacity()) {
            readFully(scratch.clear().limit((int) Math.min(left, scratch.capacity())));
        }
    }

    /** Reader only: hold small replies back until {@link #uncork}, which the reader calls before it waits. */
    void cork() {
        corked = true;
    }

    /** Sends the replies held back, and stops holding them. */
    void uncork() throws IOException {
        if (!corked) {
            return;
        }
        writeLock.lock();
        try {
            corked = false;
            sendHeld();
        } finally {
            writeLock.unlock();
        }
    }

    /** Writes one whole message made of the buffers, in order. */
    void write(ByteBuffer... buffers) throws IOException {
        writeLock.lock();
        try {
            writeAll(buffers);
        } finally {
            writeLock.unlock();
        }
    }

    /** For messages written in steps (a header, then file data sent by the kernel): hold the lock around them. */
    ReentrantLock writeLock() {
        return writeLock;
    }

    /** Writes with the write lock already held. */
    void writeAll(ByteBuffer... buffers) throws IOException {
        long left = 0;
        for (ByteBuffer b : buffers) {
            left += b.remaining();
        }
        if (corked && left <= held.remaining()) {
            for (ByteBuffer b : buffers) {
                held.put(b);
            }
            return;
        }
        send(left, buffers);
    }

    private void sendHeld() throws IOException {
        if (held.position() > 0) {
            send(0);
        }
    }

    /** Sends what is held back, then the buffers, with as few calls as the socket takes. */
    private void send(long left, ByteBuffer... buffers) throws IOException {
        if (held.position() > 0) {
            ByteBuffer[] all = new ByteBuffer[buffers.length + 1];
            all[0] = held.flip();
            System.arraycopy(buffers, 0, all, 1, buffers.length);
            buffers = all;
            left += held.remaining();
        }
        try {
            while (left > 0) {
                left -= socket.write(buffers);
            }
        } finally {
            held.clear();
        }
    }

    /**
     * Sends file bytes with the write lock already held, by sendfile: they go
     * from the page cache to the socket without passing through this process.
     * Past the file's end (it shrank under the export) zeroes are sent.
     */
    void transferAll(FileChannel file, long position, long length) throws IOException {
        sendHeld();
        long done = 0;
        while (done < length) {
            long n = file.transferTo(position + done, length - done, socket);
            if (n == 0) {
                if (position + done < file.size()) {
                    // Only a non-blocking socket sends nothing before the file's end: the socket
                    // must stay in blocking mode (used from platform threads only) for sendfile.
                    throw new IOException("sendfile made no progress");
                }
                sendZeroes(length - done);
                return;
            }
            done += n;
        }
    }

    private void sendZeroes(long length) throws IOException {
        ByteBuffer zeroes = ByteBuffer.allocate((int) Math.min(length, READ_BUFFER));
        for (long left = length; left > 0; left -= zeroes.limit()) {
            writeAll(zeroes.clear().limit((int) Math.min(left, zeroes.capacity())));
        }
    }

    /** Wakes the reader and fails pending writes, without waiting for anyone. */
    void shutdown() {
        try {
            socket.shutdownInput();
            socket.shutdownOutput();
        } catch (IOException e) {
            // Already gone: nothing left to wake.
        }
    }

    @Override
    public void close() {
        try {
            socket.close();
        } catch (IOException e) {
            // Closing a socket the peer already dropped can fail; it is closed either way.
        }
    }
}
