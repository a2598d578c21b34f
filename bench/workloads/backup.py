"""backup: blockdev-backup of a 2 GiB random-data raw image (page-cached)
to fresh raw files and to a fresh qcow2 image, against plain `cp` of the
same file as the limit; an incremental backup after 10% of the 64 KiB
clusters were dirtied through NBD; and a guest's 4 KiB write latency (QD1,
through NBD) while a full backup limited to 256 MiB/s runs, so most writes
meet clusters not yet copied and wait for their copy-before-write.

Every timed copy starts after a sync (so it does not pay for the write-back
of the one before: unsynced, the same backup ran from 0.7 to 3 GiB/s) and
right after a file as large was deleted, into pages just freed. Where the
VM takes freed pages back (benchlib/page_reporting.py, which holds that off
where it can), a copy can still meet pages the host took back and run at a
quarter of its speed, for cp as for either daemon; so cp and the raw backup
run three times each, taking turns, and the best of each counts, for every
program alike."""

import json
import os
import time

from benchlib import workload
from workloads import _nbd

CLIENT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "_guest_write_client.py")
TWICE = workload.Target("ratio", ">=", 2.0, ">= 2x qsd")
SAME = workload.Target("ratio", "<=", 1.0, "no worse than qsd")
CLUSTER = 65536


class Workload(workload.Workload):
    name = "backup"
    description = "blockdev-backup of 2 GiB raw: full (vs cp), incremental 10%, guest write latency during backup"
    order = 70
    metrics = [
        workload.Metric("full_gib_s", "GiB/s", "higher", TWICE),
        workload.Metric("full_qcow2_gib_s", "GiB/s", "higher", TWICE),
        workload.Metric("cp_gib_s", "GiB/s", "higher"),
        workload.Metric("full_vs_cp", "x", "higher", workload.Target("abs", ">=", 0.9, ">= 0.9x cp")),
        workload.Metric("incr10_s", "s", "lower"),
        # The "incremental time proportional to the dirty data": 10% of the clusters, at most 20% of the full time.
        workload.Metric("incr10_vs_full", "x", "lower", workload.Target("abs", "<=", 0.2, "<= 0.2x full")),
        workload.Metric("write_p50_us", "us", "lower", SAME),
        workload.Metric("write_p99_us", "us", "lower", SAME),
    ]

    def setup(self, daemon):
        self.size = (_nbd.GiB // 4) if self.quick else 2 * _nbd.GiB
        self.image = _nbd.random_image(self.size)
        self.proc = self.start(daemon)
        self.sock = _nbd.export(self.proc, self.image, writable=True)

    def add_target(self, node, driver):
        """A fresh image, as a node; -> its path."""
        path = os.path.join(self.proc.dir, node + ("." + driver))
        if driver == "qcow2":
            _nbd.timed(["qemu-img", "create", "-q", "-f", "qcow2", path, str(self.size)])
        else:
            with open(path, "wb") as f:
                f.truncate(self.size)
        self.proc.qmp.execute("blockdev-add", {"driver": driver, "node-name": node,
                                               "file": {"driver": "file", "filename": path}})
        return path

    def del_target(self, node, path):
        self.proc.qmp.execute("blockdev-del", {"node-name": node})
        os.unlink(path)

    def backup(self, job, target, **args):
        """Runs a backup to its end; -> seconds."""
        request = {"job-id": job, "device": "disk", "target": target, "sync": "full"}
        request.update(args)
        t0 = time.perf_counter()
        self.proc.qmp.execute("blockdev-backup", request)
        self.wait_gone(job)
        return time.perf_counter() - t0

    def wait_gone(self, job):
        while any(j["id"] == job for j in self.proc.qmp.execute("query-jobs")):
            time.sleep(0.002)

    def client(self, mode, count):
        _, out = _nbd.timed([_nbd.LIBNBD_PYTHON, CLIENT, _nbd.uri(self.sock), mode, str(count)])
        return json.loads(out)

    def run(self):
        gib = self.size / _nbd.GiB
        qmp = self.proc.qmp
        os.sync()
        copy = os.path.join(self.proc.dir, "cp.img")
        t_cps = [_nbd.timed(["cp", self.image, copy])[0]]
        qcow2 = self.add_target("tgt-qcow2", "qcow2")
        os.sync()
        os.unlink(copy)
        t_qcow2 = self.backup("full-qcow2", target="tgt-qcow2")
        t_fulls = []
        deleted = lambda: self.del_target("tgt-qcow2", qcow2)
        for turn in range(3):
            target = self.add_target("tgt%d" % turn, "raw")
            os.sync()
            deleted()
            t_fulls.append(self.backup("full%d" % turn, target="tgt%d" % turn))
            deleted = lambda turn=turn, target=target: self.del_target("tgt%d" % turn, target)
            if turn < 2:
                os.sync()
                deleted()
                t_cps.append(_nbd.timed(["cp", self.image, copy])[0])
                deleted = lambda: os.unlink(copy)
        t_cp, t_full = min(t_cps), min(t_fulls)
        os.sync()
        qmp.execute("block-dirty-bitmap-add", {"node": "disk", "name": "b0", "granularity": CLUSTER})
        self.client("dirty", self.size // CLUSTER // 10)
        t_incr = self.backup("incr", target="tgt2", sync="incremental", bitmap="b0")
        qmp.execute("block-dirty-bitmap-remove", {"node": "disk", "name": "b0"})
        qmp.execute("blockdev-backup", {"job-id": "slow", "device": "disk", "target": "tgt2",
                                        "sync": "full", "speed": 256 << 20})
        lat = self.client("latency", 500 if self.quick else 2000)
        qmp.execute("block-job-cancel", {"device": "slow", "force": True})
        self.wait_gone("slow")
        return {"full_gib_s": gib / t_full, "full_qcow2_gib_s": gib / t_qcow2, "cp_gib_s": gib / t_cp, "full_vs_cp": t_cp / t_full,
                "incr10_s": t_incr, "incr10_vs_full": t_incr / t_full, "write_p50_us": lat["p50_us"], "write_p99_us": lat["p99_us"]}
