package org.fleece.server.chardev;

/** `--chardev null`: a device nothing ever connects to. */
public record NullChardev(String id) implements Chardev {
    @Override
    public String filename() {
        return "null";
    }

    @Override
    public boolean frontendOpen() {
        return false;
    }

    @Override
    public void attach(Frontend frontend) {
    }

    @Override
    public void open() {
    }

    @Override
    public void start() {
    }

    @Override
    public void close() {
    }
}
