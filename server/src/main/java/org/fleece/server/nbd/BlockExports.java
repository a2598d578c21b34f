package org.fleece.server.nbd;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import org.fleece.block.BlockBackend;
import org.fleece.block.BlockGraph;
import org.fleece.block.BlockNode;
import org.fleece.block.Permission;
import org.fleece.block.bitmap.DirtyBitmap;
import org.fleece.qapi.QmpError;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import java.util.regex.Pattern;

/**
 * The NBD server and the block exports, with QEMU's rules and checks in
 * QEMU's order. Control thread only. An export leaves in two steps: it shuts
 * down (no new clients; hard mode drops those connected), and once its last
 * client has gone it is released and BLOCK_EXPORT_DELETED says so.
 */
public final class BlockExports {
    private static final Logger LOG = LoggerFactory.getLogger(BlockExports.class);
    /** QEMU's id_wellformed(): a letter, then letters, digits, '-', '.', '_'. */
    private static final Pattern WELL_FORMED_ID = Pattern.compile("[A-Za-z][A-Za-z0-9._-]*");
    /** How long nbd-server-stop waits for dropped clients to finish their requests in flight. */
    private static final long STOP_WAIT_SECONDS = 30;

    /** What block-export-add and nbd-server-add ask for. */
    /** bitmaps: BlockDirtyBitmapOrStr values, or null. */
    public record Options(String id, String nodeName, String iothread, String name, String description, boolean writable,
                          boolean writethrough, boolean allocationDepth, JsonNode bitmaps) {
    }

    private final BlockGraph graph;
    /** Runs tasks on the control thread: an export's last client leaves on a thread of its own. */
    private final Executor control;
    private final Consumer<String> deleted;
    private final ExportTable table = new ExportTable();
    /** Outlives each server: the next one reuses its threads. */
    private final NbdThreads threads = new NbdThreads();
    private NbdServer server;

    /** @param deleted told the id of each export that is gone, to emit BLOCK_EXPORT_DELETED */
    public BlockExports(BlockGraph graph, Executor control, Consumer<String> deleted) {
        this.graph = graph;
        this.control = control;
        this.deleted = deleted;
    }

    public ExportTable table() {
        return table;
    }

    public void startServer(ServerAddress address, String tlsCreds, int maxConnections) {
        if (server != null) {
            throw QmpError.generic("NBD server already running");
        }
        NbdServer started = NbdServer.start(address, maxConnections, table, threads);
        if (tlsCreds != null) {
            // Fleece has no --object, so no TLS credentials can exist under any id.
            started.stop(Duration.ofSeconds(STOP_WAIT_SECONDS));
            throw QmpError.generic("No TLS credentials with id '" + tlsCreds + "'");
        }
        server = started;
    }

    /** nbd-server-stop: every NBD export goes, its clients dropped, before the server itself. */
    public void stopServer() {
        if (server == null) {
            throw QmpError.generic("NBD server not running");
        }
        List<NbdExport> exports = table.all();
        exports.forEach(e -> e.shutDown(true));
        server.stop(Duration.ofSeconds(STOP_WAIT_SECONDS));
        server = null;
        for (NbdExport export : exports) {
            try {
                export.gone().get(STOP_WAIT_SECONDS, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (ExecutionException | TimeoutException e) {
                LOG.warn("export {} still has clients after {} s; releasing it anyway", export.id(), STOP_WAIT_SECONDS);
            }
            release(export);
        }
    }

    /** block-export-add type=nbd. */
    public void add(Options o) {
        if (!WELL_FORMED_ID.matcher(o.id()).matches()) {
            throw QmpError.generic("Invalid block export id");
        }
        if (table.byId(o.id()) != null) {
            throw QmpError.generic("Block export id '" + o.id() + "' is already in use");
        }
        BlockNode node = graph.find(o.nodeName());
        if (node == null) {
            throw QmpError.generic("Cannot find device='' nor node-name='" + o.nodeName() + "'");
        }
        if (o.iothread() != null) {
            // Fleece has no iothread objects, so none can be found, as QEMU would say.
            throw QmpError.generic("iothread \"" + o.iothread() + "\" not found");
        }
        if (node.readOnly() && o.writable()) {
            throw QmpError.generic("Cannot export read-only node as writable");
        }
        // The export is a user of its node: it reads, writes if writable, and lets others do anything.
        int perm = Permission.CONSISTENT_READ.bit() | (o.writable() ? Permission.WRITE.bit() : 0);
        BlockBackend backend = graph.attachBackend(node, "", perm, Permission.ALL);
        try {
            table.add(create(o, backend));
        } catch (RuntimeException e) {
            backend.detach();
            throw e;
        }
    }

    private NbdExport create(Options o, BlockBackend backend) {
        if (server == null) {
            throw QmpError.generic("NBD server not running");
        }
        String name = o.name() != null ? o.name() : o.nodeName();
        if (name.getBytes(StandardCharsets.UTF_8).length > Nbd.MAX_STRING_SIZE) {
            throw QmpError.generic("export name '" + name + "' too long");
        }
        if (o.description() != null
                && o.description().getBytes(StandardCharsets.UTF_8).length > Nbd.MAX_STRING_SIZE) {
            throw QmpError.generic("description '" + o.description() + "' too long");
        }
        if (table.byName(name) != null) {
            throw QmpError.generic("NBD server already has export named '" + name + "'");
        }
        // Clients were told the size at the handshake, so the node must not change it while exported.
        backend.setPermissions(backend.perm(), Permission.ALL & ~Permission.RESIZE.bit());
        long size;
        try {
            size = backend.length();
        } catch (IOException e) {
            throw QmpError.generic("Failed to determine the NBD export's length");
        }
        List<DirtyBitmap> bitmaps = ExportedBitmaps.resolve(graph, backend.node(), o.bitmaps(), o.writable());
        // Exported bitmaps are busy: nobody may change them under a client reading them.
        bitmaps.forEach(bitmap -> bitmap.setBusy(true));
        return new NbdExport(o.id(), name, o.description(), backend, o.writable(), o.writethrough(),
                o.allocationDepth(), size, bitmaps);
    }

    /** nbd-server-add: the deprecated form, whose export id is its name and which exports read-only nodes read-only. */
    public void addLegacy(String device, String name, String description, boolean writable, String bitmap) {
        BlockNode node = graph.find(device);
        if (node == null) {
            throw QmpError.generic("Cannot find device='" + device + "' nor node-name='" + device + "'");
        }
        String id = name != null ? name : device;
        add(new Options(id, device, null, id, description, writable && !node.readOnly(), false, false,
                bitmap == null ? null : JsonNodeFactory.instance.arrayNode().add(bitmap)));
    }

    /** block-export-del; the export is gone at once without clients, otherwise when the last one leaves. */
    public void delete(String id, boolean hard) {
        NbdExport export = table.byId(id);
        if (export == null) {
            throw QmpError.generic("Export '" + id + "' is not found");
        }
        if (export.shuttingDown()) {
            throw QmpError.generic("Export '" + id + "' is already shutting down");
        }
        if (!hard && export.inUse()) {
            throw QmpError.generic("export '" + id + "' still in use");
        }
        export.shutDown(hard);
        CompletableFuture<Void> gone = export.gone();
        if (gone.isDone()) {
            release(export);
        } else {
            gone.thenRun(() -> control.execute(() -> release(export)));
        }
    }

    /** nbd-server-remove: block-export-del for NBD exports (the only kind Fleece has). */
    public void remove(String name, boolean hard) {
        delete(name, hard);
    }

    private void release(NbdExport export) {
        if (table.byId(export.id()) != export) {
            return;
        }
        table.remove(export);
        export.bitmaps().forEach(bitmap -> bitmap.setBusy(false));
        export.backend().detach();
        deleted.accept(export.id());
    }
}
