package org.fleece.server.chardev;

import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.FileOutputStream;

/**
 * The daemon's standard input and output as one connection (`--chardev stdio`),
 * as scripts that pipe QMP into the daemon use it; end of input ends it.
 */
public final class StdioChardev implements Chardev {
    private final String id;
    private Frontend frontend;

    public StdioChardev(String id) {
        this.id = id;
    }

    @Override
    public String id() {
        return id;
    }

    @Override
    public String filename() {
        return "stdio";
    }

    @Override
    public boolean frontendOpen() {
        return frontend != null;
    }

    @Override
    public void attach(Frontend frontend) {
        this.frontend = frontend;
    }

    @Override
    public void open() {
    }

    @Override
    public void start() {
        ChannelConnection connection = new ChannelConnection(new FileInputStream(FileDescriptor.in).getChannel(),
                new FileOutputStream(FileDescriptor.out).getChannel(), "chardev-" + id + "-out");
        Thread.ofPlatform().daemon().name("chardev-" + id).start(() ->
                connection.serve(frontend != null ? frontend.connected(connection) : Frontend.IGNORE));
    }

    @Override
    public void close() {
    }
}
