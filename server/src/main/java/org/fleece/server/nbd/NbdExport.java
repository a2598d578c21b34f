package org.fleece.server.nbd;

import org.fleece.block.BlockBackend;
import org.fleece.block.bitmap.DirtyBitmap;

import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A block export of type nbd: a node offered to NBD clients under a name.
 * Created and removed on the control thread; clients attach and detach from
 * their own threads. Once shut down it takes no new clients, and
 * {@link #gone()} completes when the last one has left.
 */
public final class NbdExport {
    private final String id;
    private final String name;
    private final String description;
    private final BlockBackend backend;
    private final boolean writable;
    private final boolean writethrough;
    private final boolean allocationDepth;
    /** Offered as qemu:dirty-bitmap:NAME contexts, in the order given; busy while exported. */
    private final List<DirtyBitmap> bitmaps;
    /** The node's length rounded down to whole sectors, fixed for the export's life as in QEMU. */
    private final long size;
    private final Set<NbdClient> clients = ConcurrentHashMap.newKeySet();
    private final CompletableFuture<Void> gone = new CompletableFuture<>();
    private boolean shuttingDown;

    NbdExport(String id, String name, String description, BlockBackend backend, boolean writable, boolean writethrough,
              boolean allocationDepth, long size, List<DirtyBitmap> bitmaps) {
        this.id = id;
        this.name = name;
        this.description = description;
        this.backend = backend;
        this.writable = writable;
        this.writethrough = writethrough;
        this.allocationDepth = allocationDepth;
        this.size = size & ~511L;
        this.bitmaps = List.copyOf(bitmaps);
    }

    List<DirtyBitmap> bitmaps() {
        return bitmaps;
    }

    public String id() {
        return id;
    }

    public String name() {
        return name;
    }

    /** The export's description, or null when it has none. */
    String description() {
        return description;
    }

    /** The export's hold on its node, and the door its clients' I/O goes through. */
    public BlockBackend backend() {
        return backend;
    }

    boolean writable() {
        return writable;
    }

    /** Every write is flushed before it is acknowledged (the node's write cache is off for this user). */
    boolean writethrough() {
        return writethrough;
    }

    boolean allocationDepth() {
        return allocationDepth;
    }

    long size() {
        return size;
    }

    /** The transmission flags QEMU advertises for an export like this one. */
    int transmissionFlags(boolean structuredReplies, boolean multiConn) {
        int flags = Nbd.FLAG_HAS_FLAGS | Nbd.FLAG_SEND_FLUSH | Nbd.FLAG_SEND_FUA | Nbd.FLAG_SEND_CACHE;
        flags |= writable ? Nbd.FLAG_SEND_TRIM | Nbd.FLAG_SEND_WRITE_ZEROES | Nbd.FLAG_SEND_FAST_ZERO
                : Nbd.FLAG_READ_ONLY;
        if (structuredReplies) {
            flags |= Nbd.FLAG_SEND_DF;
        }
        if (multiConn) {
            flags |= Nbd.FLAG_CAN_MULTI_CONN;
        }
        return flags;
    }

    /** A client that finished negotiation for this export; false once the export is shutting down. */
    synchronized boolean attach(NbdClient client) {
        if (shuttingDown) {
            return false;
        }
        clients.add(client);
        return true;
    }

    synchronized void detach(NbdClient client) {
        clients.remove(client);
        if (shuttingDown && clients.isEmpty()) {
            gone.complete(null);
        }
    }

    public synchronized boolean inUse() {
        return !clients.isEmpty();
    }

    public synchronized boolean shuttingDown() {
        return shuttingDown;
    }

    /** Takes no more clients; hard drops those connected (they finish the requests in flight first). */
    public void shutDown(boolean hard) {
        List<NbdClient> connected;
        synchronized (this) {
            shuttingDown = true;
            if (clients.isEmpty()) {
                gone.complete(null);
            }
            connected = List.copyOf(clients);
        }
        if (hard) {
            connected.forEach(NbdClient::disconnect);
        }
    }

    /** Completes on the thread of the last client to leave, or at once when none was there. */
    public CompletableFuture<Void> gone() {
        return gone;
    }
}
