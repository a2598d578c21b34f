package org.fleece.server.block;

import com.fasterxml.jackson.databind.JsonNode;
import org.fleece.block.BlockGraph;
import org.fleece.block.ImageCreator;
import org.fleece.block.create.CreateJob;
import org.fleece.block.driver.Drivers;
import org.fleece.block.job.JobManager;
import org.fleece.server.qmp.CommandTable;

import java.util.concurrent.Executor;

/**
 * blockdev-create: only a driver without creation and a bad job id fail the
 * command itself; everything else the driver finds wrong is the job's error,
 * as in QEMU.
 */
public final class CreateCommands {
    private final BlockGraph graph;
    private final JobManager jobs;
    private final Executor control;

    public CreateCommands(BlockGraph graph, JobManager jobs, Executor control) {
        this.graph = graph;
        this.jobs = jobs;
        this.control = control;
    }

    public void registerIn(CommandTable table) {
        table.register("blockdev-create", (args, ctx) -> {
            JsonNode options = args.get("options");
            ImageCreator creator = Drivers.creator(options.get("driver").asText());
            CreateJob job = new CreateJob(args.get("job-id").asText(), graph, creator, options, control);
            jobs.register(job, null);
            job.start();
            return null;
        });
    }
}
