"""backup: blockdev-backup of a 2 GiB random-data raw image (page-cached)
to a raw file and to a fresh qcow2 image, against plain `cp` of the same
file as the limit (each after a sync, so no copy pays for the write-back of
the one before it: unsynced, the same backup ran from 0.7 to 3 GiB/s; and
each right after a file as large was deleted, see run()); an
incremental backup after 10% of the 64 KiB clusters were dirtied through
NBD; and a guest's 4 KiB write latency (QD1, through NBD) while a full
backup limited to 256 MiB/s runs, so most writes meet clusters not yet
copied and wait for their copy-before-write."""

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
        self.target = os.path.join(self.proc.dir, "target.img")
        with open(self.target, "wb") as f:
            f.truncate(self.size)
        self.proc.qmp.execute("blockdev-add", {"driver": "raw", "node-name": "tgt",
                                               "file": {"driver": "file", "filename": self.target}})
        self.qcow2 = os.path.join(self.proc.dir, "target.qcow2")
        _nbd.timed(["qemu-img", "create", "-q", "-f", "qcow2", self.qcow2, str(self.size)])
        self.proc.qmp.execute("blockdev-add", {"driver": "qcow2", "node-name": "tgt-qcow2",
                                               "file": {"driver": "file", "filename": self.qcow2}})

    def backup(self, job, target="tgt", **args):
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
        copy = os.path.join(self.proc.dir, "cp.img")
        os.sync()
        t_cp, _ = _nbd.timed(["cp", self.image, copy])
        os.unlink(copy)
        # This VM backs a page the guest has not used lately with a host fault: a copy into such pages
        # runs at 0.3-0.4 GiB/s, into pages a deleted file just gave back at 3-4 GiB/s. So each timed
        # copy follows the deletion of one as large (cp's copy, then the qcow2 target), whatever daemon.
        os.sync()
        t_qcow2 = self.backup("full-qcow2", target="tgt-qcow2")
        self.proc.qmp.execute("blockdev-del", {"node-name": "tgt-qcow2"})
        os.unlink(self.qcow2)
        os.sync()
        t_full = self.backup("full")
        os.sync()
        qmp = self.proc.qmp
        qmp.execute("block-dirty-bitmap-add", {"node": "disk", "name": "b0", "granularity": CLUSTER})
        self.client("dirty", self.size // CLUSTER // 10)
        t_incr = self.backup("incr", sync="incremental", bitmap="b0")
        qmp.execute("block-dirty-bitmap-remove", {"node": "disk", "name": "b0"})
        qmp.execute("blockdev-backup", {"job-id": "slow", "device": "disk", "target": "tgt",
                                        "sync": "full", "speed": 256 << 20})
        lat = self.client("latency", 500 if self.quick else 2000)
        qmp.execute("block-job-cancel", {"device": "slow", "force": True})
        self.wait_gone("slow")
        return {"full_gib_s": gib / t_full, "full_qcow2_gib_s": gib / t_qcow2, "cp_gib_s": gib / t_cp, "full_vs_cp": t_cp / t_full,
                "incr10_s": t_incr, "incr10_vs_full": t_incr / t_full, "write_p50_us": lat["p50_us"], "write_p99_us": lat["p99_us"]}
