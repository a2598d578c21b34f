package org.fleece.server.chardev;

import java.util.concurrent.CompletableFuture;

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
    public CompletableFuture<Void> open() {
        return CompletableFuture.completedFuture(null);
    }

    @Override
    public void close() {
    }
}
