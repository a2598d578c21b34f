package org.fleece.block.create;

import com.fasterxml.jackson.databind.JsonNode;
import org.fleece.block.BlockGraph;
import org.fleece.block.ImageCreator;
import org.fleece.block.job.Job;

import java.io.IOException;
import java.util.concurrent.Executor;
import java.util.function.Supplier;

/**
 * blockdev-create: a job (type create) that runs one driver's creator. As in
 * QEMU it finalizes itself but waits for job-dismiss, is not a block job, and
 * counts one unit of progress, done when the creator returns or fails.
 */
public final class CreateJob extends Job implements ImageCreator.Context {
    private final BlockGraph graph;
    private final ImageCreator creator;
    private final JsonNode options;

    public CreateJob(String id, BlockGraph graph, ImageCreator creator, JsonNode options, Executor control) {
        super(id, true, false, control);
        this.graph = graph;
        this.creator = creator;
        this.options = options;
    }

    @Override
    public String type() {
        return "create";
    }

    @Override
    public boolean blockJob() {
        return false;
    }

    @Override
    protected void run() throws IOException {
        setTotal(1);
        try {
            creator.create(options, this);
        } finally {
            progress(1);
        }
    }

    @Override
    public BlockGraph graph() {
        return graph;
    }

    @Override
    public <T> T onControlThread(Supplier<T> step) {
        return runOnControlThread(step);
    }
}
