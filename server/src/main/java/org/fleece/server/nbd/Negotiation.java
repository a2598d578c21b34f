package org.fleece.server.nbd;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * The handshake: greeting, client flags and option haggling, answered as
 * QEMU's server answers them (fixed newstyle, no TLS). Ends with the export
 * the client chose, or null when the client left or must be dropped.
 */
final class Negotiation {
    private static final Logger LOG = LoggerFactory.getLogger(Negotiation.class);
    private static final int PREFERRED_BLOCK_SIZE = 4096;

    /** What transmission starts with. */
    record Session(NbdExport export, boolean structuredReplies, MetaContexts contexts) {
    }

    /** The client must be dropped; the message is for the log. */
    private static final class Drop extends Exception {
        Drop(String message) {
            super(message, null, false, false);
        }
    }

    /** An option the server answers with an error reply after reading the rest of its data. */
    private static final class Refusal extends Exception {
        final int type;

        Refusal(int type, String message) {
            super(message, null, false, false);
            this.type = type;
        }
    }

    private final NbdChannel channel;
    private final ExportTable exports;
    private final boolean multiConn;
    /** Non-null when the server is at its connection limit: every option is refused with this text. */
    private final String refusal;
    private boolean fixedNewstyle;
    private boolean noZeroes;
    private boolean structured;
    private MetaContexts selected;
    private int option;
    /** Bytes of the current option's data not read yet. */
    private long left;

    Negotiation(NbdChannel channel, ExportTable exports, boolean multiConn, String refusal) {
        this.channel = channel;
        this.exports = exports;
        this.multiConn = multiConn;
        this.refusal = refusal;
    }

    Session run() throws IOException {
        try {
            return negotiate();
        } catch (Drop drop) {
            LOG.debug("dropping NBD client during negotiation: {}", drop.getMessage());
            return null;
        }
    }

    private Session negotiate() throws IOException, Drop {
        ByteBuffer greeting = ByteBuffer.allocate(18).putLong(Nbd.NBDMAGIC).putLong(Nbd.IHAVEOPT)
                .putShort((short) (Nbd.FLAG_FIXED_NEWSTYLE | Nbd.FLAG_NO_ZEROES)).flip();
        channel.write(greeting);
        int clientFlags = channel.read(4).getInt();
        if ((clientFlags & ~(Nbd.FLAG_FIXED_NEWSTYLE | Nbd.FLAG_NO_ZEROES)) != 0) {
            throw new Drop("Unknown client flags 0x" + Integer.toHexString(clientFlags));
        }
        fixedNewstyle = (clientFlags & Nbd.FLAG_FIXED_NEWSTYLE) != 0;
        noZeroes = (clientFlags & Nbd.FLAG_NO_ZEROES) != 0;
        while (true) {
            ByteBuffer header = channel.read(16);
            if (header.getLong() != Nbd.IHAVEOPT) {
                throw new Drop("Bad magic received");
            }
            option = header.getInt();
            left = Integer.toUnsignedLong(header.getInt());
            if (left > Nbd.MAX_BUFFER_SIZE) {
                throw new Drop("len (" + left + ") is larger than max len (" + Nbd.MAX_BUFFER_SIZE + ")");
            }
            if (option == Nbd.OPT_EXPORT_NAME) {
                return exportName();
            }
            if (!fixedNewstyle) {
                throw new Drop("Unsupported option " + option + " (" + Nbd.optionName(option)
                        + ") without fixed newstyle");
            }
            try {
                Session session = handle();
                if (session != null) {
                    return session;
                }
            } catch (Refusal r) {
                channel.skip(left);
                left = 0;
                reply(r.type, r.getMessage().getBytes(StandardCharsets.UTF_8));
            }
        }
    }

    /** One option after the first: null to go on haggling, the session when the client chose its export. */
    private Session handle() throws IOException, Drop, Refusal {
        if (option == Nbd.OPT_ABORT) {
            try {
                reply(Nbd.REP_ACK);
            } catch (IOException e) {
                // The protocol lets the client leave without waiting for the answer.
            }
            throw new Drop("client sent abort");
        }
        if (refusal != null) {
            throw new Refusal(Nbd.REP_ERR_POLICY, refusal);
        }
        switch (option) {
            case Nbd.OPT_LIST -> list();
            case Nbd.OPT_STARTTLS -> {
                rejectData();
                throw new Refusal(Nbd.REP_ERR_POLICY, "TLS not configured");
            }
            case Nbd.OPT_INFO, Nbd.OPT_GO -> {
                return info();
            }
            case Nbd.OPT_STRUCTURED_REPLY -> {
                rejectData();
                if (structured) {
                    throw new Refusal(Nbd.REP_ERR_INVALID, "structured reply already negotiated");
                }
                structured = true;
                reply(Nbd.REP_ACK);
            }
            case Nbd.OPT_LIST_META_CONTEXT, Nbd.OPT_SET_META_CONTEXT -> metaContexts();
            default -> throw new Refusal(Nbd.REP_ERR_UNSUP,
                    "Unsupported option " + Integer.toUnsignedString(option) + " (" + Nbd.optionName(option) + ")");
        }
        return null;
    }

    private void rejectData() throws Refusal {
        if (left > 0) {
            throw new Refusal(Nbd.REP_ERR_INVALID, "option '" + Nbd.optionName(option) + "' has unexpected length");
        }
    }

    /** NBD_OPT_EXPORT_NAME: no way to report an error, so an unknown name drops the client. */
    private Session exportName() throws IOException, Drop {
        if (left > Nbd.MAX_STRING_SIZE) {
            throw new Drop("Bad length received");
        }
        String name = new String(channel.read((int) left).array(), StandardCharsets.UTF_8);
        NbdExport export = refusal == null ? exports.byName(name) : null;
        if (export == null) {
            throw new Drop("export not found: " + name);
        }
        ByteBuffer answer = ByteBuffer.allocate(noZeroes ? 10 : 134);
        answer.putLong(export.size()).putShort((short) export.transmissionFlags(structured, multiConn));
        channel.write(answer.position(answer.capacity()).flip());
        return session(export);
    }

    private void list() throws IOException, Refusal {
        rejectData();
        for (NbdExport export : exports.reachable()) {
            byte[] name = export.name().getBytes(StandardCharsets.UTF_8);
            byte[] description = export.description() == null ? new byte[0]
                    : export.description().getBytes(StandardCharsets.UTF_8);
            reply(Nbd.REP_SERVER, ByteBuffer.allocate(4 + name.length + description.length)
                    .putInt(name.length).put(name).put(description).array());
        }
        reply(Nbd.REP_ACK);
    }

    /** NBD_OPT_INFO and NBD_OPT_GO. */
    private Session info() throws IOException, Refusal {
        String name = readName();
        int requests = Short.toUnsignedInt(readData(2).getShort());
        if (left != 2L * requests) {
            throw inconsistent();
        }
        boolean sendName = false;
        boolean blockSize = false;
        for (int i = 0; i < requests; i++) {
            switch (readData(2).getShort()) {
                case Nbd.INFO_NAME -> sendName = true;
                case Nbd.INFO_BLOCK_SIZE -> blockSize = true;
                default -> {
                    // Unknown requests are ignored, as the protocol asks.
                }
            }
        }
        NbdExport export = exports.byName(name);
        if (export == null) {
            throw new Refusal(Nbd.REP_ERR_UNKNOWN, "export '" + sanitize(name) + "' not present");
        }
        if (sendName) {
            info(Nbd.INFO_NAME, name.getBytes(StandardCharsets.UTF_8));
        }
        if (export.description() != null) {
            info(Nbd.INFO_DESCRIPTION, export.description().getBytes(StandardCharsets.UTF_8));
        }
        // Fleece's nodes take requests at any byte alignment, so the minimum is 1 whatever the client asked.
        info(Nbd.INFO_BLOCK_SIZE, ByteBuffer.allocate(12).putInt(1).putInt(PREFERRED_BLOCK_SIZE)
                .putInt(Nbd.MAX_BUFFER_SIZE).array());
        info(Nbd.INFO_EXPORT, ByteBuffer.allocate(10).putLong(export.size())
                .putShort((short) export.transmissionFlags(structured, multiConn)).array());
        reply(Nbd.REP_ACK);
        return option == Nbd.OPT_GO ? session(export) : null;
    }

    private Session session(NbdExport export) {
        MetaContexts contexts = selected != null && selected.export() == export ? selected : MetaContexts.none(export);
        return new Session(export, structured, contexts);
    }

    /** NBD_OPT_LIST_META_CONTEXT and NBD_OPT_SET_META_CONTEXT. */
    private void metaContexts() throws IOException, Refusal {
        boolean list = option == Nbd.OPT_LIST_META_CONTEXT;
        if (!list && !structured) {
            // Listing is harmless; selecting needs structured replies to be of any use.
            throw new Refusal(Nbd.REP_ERR_INVALID, "request option '" + Nbd.optionName(option)
                    + "' when structured reply is not negotiated");
        }
        String name = readName();
        NbdExport export = exports.byName(name);
        if (export == null) {
            throw new Refusal(Nbd.REP_ERR_UNKNOWN, "export '" + sanitize(name) + "' not present");
        }
        long queries = Integer.toUnsignedLong(readData(4).getInt());
        MetaContexts contexts = list && queries == 0 ? MetaContexts.all(export) : MetaContexts.none(export);
        for (long i = 0; i < queries; i++) {
            int length = readData(4).getInt();
            if (Integer.toUnsignedLong(length) > left) {
                throw inconsistent();
            }
            if (length > Nbd.MAX_STRING_SIZE || length < 0) {
                channel.skip(Integer.toUnsignedLong(length));
                left -= Integer.toUnsignedLong(length);
                continue;
            }
            contexts = contexts.with(new String(readData(length).array(), StandardCharsets.UTF_8), list);
        }
        if (left > 0) {
            throw inconsistent();
        }
        for (MetaContexts.Context context : contexts.contexts()) {
            byte[] contextName = context.name().getBytes(StandardCharsets.UTF_8);
            reply(Nbd.REP_META_CONTEXT, ByteBuffer.allocate(4 + contextName.length)
                    .putInt(list ? 0 : context.id()).put(contextName).array());
        }
        if (!list) {
            selected = contexts;
        }
        reply(Nbd.REP_ACK);
    }

    private Refusal inconsistent() {
        return new Refusal(Nbd.REP_ERR_INVALID, "Inconsistent lengths in option " + Nbd.optionName(option));
    }

    private String readName() throws IOException, Refusal {
        long length = Integer.toUnsignedLong(readData(4).getInt());
        if (length > Nbd.MAX_STRING_SIZE) {
            throw new Refusal(Nbd.REP_ERR_INVALID, "Invalid name length: " + length);
        }
        return new String(readData((int) length).array(), StandardCharsets.UTF_8);
    }

    /** Reads part of the option's data; asking for more than it has is the client's error. */
    private ByteBuffer readData(int length) throws IOException, Refusal {
        if (length > left) {
            throw inconsistent();
        }
        left -= length;
        return channel.read(length);
    }

    /** Names in error messages are cut short, as QEMU does, so a long name cannot flood the reply. */
    private static String sanitize(String name) {
        return name.length() > 80 ? name.substring(0, 80) + "..." : name;
    }

    private void info(int type, byte[] data) throws IOException {
        reply(Nbd.REP_INFO, ByteBuffer.allocate(2 + data.length).putShort((short) type).put(data).array());
    }

    private void reply(int type) throws IOException {
        reply(type, new byte[0]);
    }

    private void reply(int type, byte[] data) throws IOException {
        ByteBuffer header = ByteBuffer.allocate(20).putLong(Nbd.OPTION_REPLY_MAGIC).putInt(option).putInt(type)
                .putInt(data.length).flip();
        channel.write(header, ByteBuffer.wrap(data));
    }
}
