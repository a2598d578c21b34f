package org.fleece.server.nbd;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.concurrent.Semaphore;

/**
 * The transmission phase of one client. This thread reads requests one after
 * the other. A request alone (none in flight, none waiting behind it) runs
 * right here, which spares a queue hand-off per request at queue depth 1.
 * So does a quick request (see {@link RequestHandler#quick}): a hand-off to
 * another thread and back costs more than it does. Other requests go to
 * other threads, so replies go out in the order requests complete. At most
 * {@link #MAX_IN_FLIGHT} run at once (QEMU's limit too); further requests
 * wait in the socket. Replies to quick requests are held back while more
 * requests are already read ({@link NbdChannel#cork}), and sent as one
 * batch before this thread waits for anything.
 * All of these are platform threads ({@link NbdThreads}): a virtual thread would
 * put the socket in non-blocking mode for good, and sendfile cannot wait on it.
 */
final class Transmission {
    private static final Logger LOG = LoggerFactory.getLogger(Transmission.class);
    static final int MAX_IN_FLIGHT = 16;

    private final NbdChannel channel;
    private final ReplyWriter replies;
    private final RequestHandler handler;
    private final BufferPool pool;
    private final Semaphore slots = new Semaphore(MAX_IN_FLIGHT);
    private final NbdThreads threads;

    Transmission(NbdChannel channel, Negotiation.Session session, BufferPool pool, NbdThreads threads) {
        this.channel = channel;
        this.threads = threads;
        this.replies = new ReplyWriter(channel, session.structuredReplies());
        this.handler = new RequestHandler(session.export(), session.contexts(), replies, pool);
        this.pool = pool;
    }

    /** Serves requests until the client disconnects or breaks the protocol; returns once none is in flight. */
    void run() throws IOException {
        try {
            serve();
        } finally {
            slots.acquireUninterruptibly(MAX_IN_FLIGHT);
            channel.uncork();
        }
    }

    private void serve() throws IOException {
        ByteBuffer header = ByteBuffer.allocate(Request.HEADER_SIZE);
        while (true) {
            channel.readFully(header.clear());
            header.flip();
            int magic = header.getInt();
            int flags = Short.toUnsignedInt(header.getShort());
            int type = Short.toUnsignedInt(header.getShort());
            long handle = header.getLong();
            long offset = header.getLong();
            long length = Integer.toUnsignedLong(header.getInt());
            if (magic != Nbd.REQUEST_MAGIC) {
                // Nothing after this can be trusted to be a request: answer it, as QEMU does, and drop the client.
                replies.error(handle, Nbd.EINVAL, "invalid magic (got 0x" + Integer.toHexString(magic) + ")");
                LOG.debug("dropping NBD client: invalid request magic");
                return;
            }
            if (type == Nbd.CMD_DISC) {
                return;
            }
            boolean carriesData = type == Nbd.CMD_READ || type == Nbd.CMD_WRITE || type == Nbd.CMD_CACHE;
            if (carriesData && length > Nbd.MAX_BUFFER_SIZE) {
                replies.error(handle, Nbd.EINVAL,
                        "len (" + length + " ) is larger than max len (" + Nbd.MAX_BUFFER_SIZE + ")");
                if (type == Nbd.CMD_WRITE) {
                    // The payload was not read, so the stream cannot be followed any further.
                    return;
                }
                continue;
            }
            ByteBuffer payload = null;
            if (type == Nbd.CMD_WRITE) {
                payload = pool.take((int) length);
                try {
                    channel.readFully(payload);
                } catch (IOException e) {
                    pool.give(payload);
                    throw e;
                }
                payload.flip();
            }
            Request request = new Request(flags, type, handle, offset, length, payload);
            if (!slots.tryAcquire()) {
                channel.uncork();
                slots.acquireUninterruptibly();
            }
            boolean alone = slots.availablePermits() == MAX_IN_FLIGHT - 1 && !channel.buffered();
            boolean quick = handler.quick(request);
            if (quick && channel.buffered()) {
                channel.cork();
            } else {
                channel.uncork();
            }
            if (alone || quick) {
                if (!handle(request)) {
                    return;
                }
            } else {
                threads.execute(() -> handle(request));
            }
        }
    }

    /** Runs one request and frees its slot; false when its reply could not be sent. */
    private boolean handle(Request request) {
        try {
            handler.handle(request);
            return true;
        } catch (IOException e) {
            // The client is gone or broken; wake the reader so it ends too.
            channel.shutdown();
            return false;
        } finally {
            if (request.payload() != null) {
                pool.give(request.payload());
            }
            slots.release();
        }
    }
}
