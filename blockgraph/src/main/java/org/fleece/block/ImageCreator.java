package org.fleece.block;

import com.fasterxml.jackson.databind.JsonNode;

import java.io.IOException;
import java.util.function.Supplier;

/**
 * A driver's blockdev-create: formats an image from the command's options.
 * It runs on the create job's worker; a QmpError it throws becomes the job's
 * error, in QEMU's words.
 */
@FunctionalInterface
public interface ImageCreator {
    void create(JsonNode options, Context context) throws IOException;

    /** What a creator may ask of the daemon while it works. */
    interface Context {
        BlockGraph graph();

        /** Runs a step on the control thread (the graph's owner) and waits for it; its QmpError comes back as is. */
        <T> T onControlThread(Supplier<T> step);
    }
}
