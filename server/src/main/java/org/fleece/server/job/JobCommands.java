package org.fleece.server.job;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.fleece.block.job.Job;
import org.fleece.block.job.JobManager;
import org.fleece.qapi.QmpError;
import org.fleece.server.qmp.CommandTable;

/**
 * The job-* and block-job-* commands and the two queries. job-* look jobs up
 * by id ("Job not found"), block-job-* by device, answering DeviceNotActive
 * as QEMU does, which is what libvirt matches.
 */
public final class JobCommands {
    private static final JsonNodeFactory JSON = JsonNodeFactory.instance;

    private final JobManager jobs;

    public JobCommands(JobManager jobs) {
        this.jobs = jobs;
    }

    public void registerIn(CommandTable table) {
        table.register("job-pause", (args, ctx) -> done(() -> job(args).userPause()));
        table.register("job-resume", (args, ctx) -> done(() -> job(args).userResume()));
        table.register("job-cancel", (args, ctx) -> done(() -> job(args).userCancel(true)));
        table.register("job-complete", (args, ctx) -> done(() -> job(args).userComplete()));
        table.register("job-finalize", (args, ctx) -> done(() -> job(args).userFinalize()));
        table.register("job-dismiss", (args, ctx) -> done(() -> job(args).userDismiss()));
        table.register("block-job-pause", (args, ctx) -> done(() -> blockJob(args, "device").userPause()));
        table.register("block-job-resume", (args, ctx) -> done(() -> blockJob(args, "device").userResume()));
        table.register("block-job-complete", (args, ctx) -> done(() -> blockJob(args, "device").userComplete()));
        table.register("block-job-finalize", (args, ctx) -> done(() -> blockJob(args, "id").userFinalize()));
        table.register("block-job-dismiss", (args, ctx) -> done(() -> blockJob(args, "id").userDismiss()));
        table.register("block-job-set-speed", (args, ctx) -> done(() -> blockJob(args, "device")
                .setSpeed(args.get("speed").asLong())));
        table.register("block-job-cancel", (args, ctx) -> done(() -> {
            Job job = blockJob(args, "device");
            boolean force = args.path("force").asBoolean(false);
            if (job.userPaused() && !force) {
                throw QmpError.generic("The block job for device '" + job.id() + "' is currently paused");
            }
            job.userCancel(force);
        }));
        table.register("query-jobs", (args, ctx) -> queryJobs());
        table.register("query-block-jobs", (args, ctx) -> queryBlockJobs());
    }

    private static JsonNode done(Runnable verb) {
        verb.run();
        return null;
    }

    private Job job(JsonNode args) {
        return jobs.find(args.get("id").asText());
    }

    private Job blockJob(JsonNode args, String member) {
        return jobs.findBlockJob(args.get(member).asText());
    }

    private JsonNode queryJobs() {
        ArrayNode list = JSON.arrayNode();
        for (Job job : jobs.all()) {
            ObjectNode info = list.addObject()
                    .put("id", job.id())
                    .put("type", job.type())
                    .put("status", job.status().qapiName())
                    .put("current-progress", job.currentProgress())
                    .put("total-progress", job.totalProgress());
            if (job.error() != null) {
                info.put("error", job.error());
            }
        }
        return list;
    }

    private JsonNode queryBlockJobs() {
        ArrayNode list = JSON.arrayNode();
        for (Job job : jobs.all()) {
            if (!job.blockJob()) {
                continue;
            }
            ObjectNode info = list.addObject()
                    .put("type", job.type())
                    .put("device", job.id())
                    .put("len", job.totalProgress())
                    .put("offset", job.currentProgress())
                    .put("busy", job.busy())
                    .put("paused", job.paused())
                    .put("speed", job.speed())
                    .put("io-status", job.ioStatus().qapiName())
                    .put("ready", false)
                    .put("status", job.status().qapiName())
                    .put("auto-finalize", job.autoFinalize())
                    .put("auto-dismiss", job.autoDismiss());
            if (job.error() != null) {
                info.put("error", job.error());
            }
        }
        return list;
    }
}
