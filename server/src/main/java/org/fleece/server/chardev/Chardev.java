package org.fleece.server.chardev;

import java.util.concurrent.CompletableFuture;

/** A character device from --chardev: a byte stream a monitor can be attached to. */
public interface Chardev {
    String id();

    /** What query-chardev shows as filename, in QEMU's notation. */
    String filename();

    boolean frontendOpen();

    void attach(Frontend frontend);

    /** Starts listening or connecting; completes when the device is usable (after the first client for wait=on). */
    CompletableFuture<Void> open();

    /** Stops serving; a listening UNIX socket's file is removed. */
    void close();
}
