package org.fleece.server.chardev;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Everything queued for one client, written in order. Senders that must not
 * wait (the control thread with an event) queue, and a thread of the
 * outbox writes; the connection's reader, which may wait, writes its replies
 * itself when nothing is queued, sparing a thread hand-off per round trip.
 * Like QEMU's monitor output buffer it is unbounded: a client that stops
 * reading costs memory, not progress.
 */
final class Outbox {
    private record Pending(byte[] bytes, CompletableFuture<Void> written) {
    }

    private final WritableByteChannel channel;
    private final Runnable closer;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition ready = lock.newCondition();
    private List<Pending> queue = new ArrayList<>();
    /** Someone is writing to the channel; guarded by lock. */
    private boolean writing;
    private boolean closing;
    private volatile boolean broken;

    Outbox(WritableByteChannel channel, String name, Runnable closer) {
        this.channel = channel;
        this.closer = closer;
        Thread.ofPlatform().daemon().name(name).start(this::drain);
    }

    /** Queues bytes; never blocks. */
    CompletableFuture<Void> write(byte[] bytes) {
        CompletableFuture<Void> written = new CompletableFuture<>();
        lock.lock();
        try {
            if (broken || closing) {
                written.complete(null);
            } else {
                queue.add(new Pending(bytes, written));
                ready.signal();
            }
        } finally {
            lock.unlock();
        }
        return written;
    }

    /** Writes bytes on the calling thread if nothing is queued before them, else queues them; may block. */
    void writeNow(byte[] bytes) {
        lock.lock();
        try {
            if (writing || !queue.isEmpty() || closing) {
                if (!broken && !closing) {
                    queue.add(new Pending(bytes, new CompletableFuture<>()));
                    ready.signal();
                }
                return;
            }
            writing = true;
        } finally {
            lock.unlock();
        }
        send(bytes);
        lock.lock();
        try {
            writing = false;
            // Wake the outbox's thread only for work: a wake-up per reply doubled a round trip's wake-ups.
            if (!queue.isEmpty() || closing) {
                ready.signal();
            }
        } finally {
            lock.unlock();
        }
    }

    /** Writes what is queued, then closes the channel. */
    void closeWhenDrained() {
        lock.lock();
        try {
            closing = true;
            ready.signal();
        } finally {
            lock.unlock();
        }
    }

    private void drain() {
        List<Pending> batch = new ArrayList<>();
        while (true) {
            boolean last;
            lock.lock();
            try {
                while (writing || (queue.isEmpty() && !closing)) {
                    ready.awaitUninterruptibly();
                }
                List<Pending> taken = queue;
                queue = batch;
                batch = taken;
                last = closing && batch.isEmpty();
                writing = !batch.isEmpty();
            } finally {
                lock.unlock();
            }
            if (last) {
                closer.run();
                return;
            }
            for (Pending pending : batch) {
                send(pending.bytes());
                pending.written().complete(null);
            }
            batch.clear();
            lock.lock();
            try {
                writing = false;
            } finally {
                lock.unlock();
            }
        }
    }

    private void send(byte[] bytes) {
        if (broken) {
            return;
        }
        try {
            ByteBuffer buffer = ByteBuffer.wrap(bytes);
            while (buffer.hasRemaining()) {
                channel.write(buffer);
            }
        } catch (IOException e) {
            // The client went away; its reader sees the end of input and ends the session.
            broken = true;
        }
    }
}
