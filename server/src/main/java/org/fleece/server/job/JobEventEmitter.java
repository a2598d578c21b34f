package org.fleece.server.job;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.fleece.block.job.Job;
import org.fleece.block.job.JobEvents;
import org.fleece.server.qmp.Events;

/** Jobs' events as QMP events, with QEMU's members. */
public final class JobEventEmitter implements JobEvents {
    private static final JsonNodeFactory JSON = JsonNodeFactory.instance;

    private final Events events;

    public JobEventEmitter(Events events) {
        this.events = events;
    }

    @Override
    public void statusChanged(Job job) {
        events.emit("JOB_STATUS_CHANGE", JSON.objectNode().put("id", job.id()).put("status", job.status().qapiName()));
    }

    @Override
    public void completed(Job job) {
        ObjectNode data = progress(job);
        if (job.error() != null) {
            data.put("error", job.error());
        }
        events.emit("BLOCK_JOB_COMPLETED", data);
    }

    @Override
    public void cancelled(Job job) {
        events.emit("BLOCK_JOB_CANCELLED", progress(job));
    }

    @Override
    public void error(Job job, boolean read, String action) {
        events.emit("BLOCK_JOB_ERROR", JSON.objectNode().put("device", job.id())
                .put("operation", read ? "read" : "write").put("action", action));
    }

    @Override
    public void pending(Job job) {
        events.emit("BLOCK_JOB_PENDING", JSON.objectNode().put("type", job.type()).put("id", job.id()));
    }

    private static ObjectNode progress(Job job) {
        return JSON.objectNode().put("type", job.type()).put("device", job.id()).put("len", job.totalProgress())
                .put("offset", job.currentProgress()).put("speed", job.speed());
    }
}
