package org.fleece.server.chardev;

import java.io.IOException;

/** A character device from --chardev: a byte stream a monitor can be attached to. */
public interface Chardev {
    String id();

    /** What query-chardev shows as filename, in QEMU's notation. */
    String filename();

    boolean frontendOpen();

    void attach(Frontend frontend);

    /** Binds or connects (and for wait=on waits for the first client), serving nobody yet. */
    void open() throws IOException;

    /** Starts serving clients. */
    void start();

    /** Stops serving; a listening UNIX socket's file is removed. */
    void close();
}
