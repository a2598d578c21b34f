package org.fleece.server.nbd;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.EOFException;
import java.io.IOException;

/** One connection to the NBD server, from the greeting to the close, on a thread of its own. */
final class NbdClient implements Runnable {
    private static final Logger LOG = LoggerFactory.getLogger(NbdClient.class);

    private final NbdChannel channel;
    private final NbdServer server;
    private final String refusal;

    /** @param refusal null, or why the server refuses every option of this client */
    NbdClient(NbdChannel channel, NbdServer server, String refusal) {
        this.channel = channel;
        this.server = server;
        this.refusal = refusal;
    }

    @Override
    public void run() {
        NbdExport export = null;
        try {
            Negotiation.Session session = new Negotiation(channel, server.exports(), server.multiConn(), refusal).run();
            if (session == null) {
                return;
            }
            export = session.export();
            if (!export.attach(this)) {
                return;
            }
            try {
                new Transmission(channel, session, server.buffers(), server.threads()).run();
            } finally {
                export.detach(this);
            }
        } catch (EOFException e) {
            LOG.debug("NBD client left: {}", e.getMessage());
        } catch (IOException e) {
            LOG.debug("NBD client dropped: {}", e.toString());
        } finally {
            channel.close();
            server.forget(this);
        }
    }

    /** Drops the client: its reader wakes up, requests in flight finish, then it detaches. */
    void disconnect() {
        channel.shutdown();
    }
}
