"""fleecing: a guest's 4 KiB random-write latency (QD1, through NBD) on a
2 GiB raw disk without and with copy-before-write + snapshot-access put in
under the exported disk by blockdev-reopen (no bitmap: every first write to
a 64 KiB cluster copies it to a qcow2 fleecing image first), and the speed
of nbdcopy reading the whole snapshot export while the guest keeps writing
(paced at GUEST_RATE writes a second, the same load for both daemons).
Each round inserts a fresh filter and takes it out again."""

import json
import os

from benchlib import workload
from workloads import _nbd

GUEST = os.path.join(os.path.dirname(os.path.abspath(__file__)), "_guest_write_client.py")
READER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "_fleecing_client.py")
GUEST_RATE = 1000
SAME = workload.Target("ratio", "<=", 1.0, "no worse than qsd")


class Workload(workload.Workload):
    name = "fleecing"
    description = "guest write latency without/with copy-before-write, snapshot read speed while the guest writes"
    order = 75
    metrics = [
        workload.Metric("plain_p50_us", "us", "lower"),
        workload.Metric("plain_p99_us", "us", "lower"),
        workload.Metric("cbw_p50_us", "us", "lower", SAME),
        workload.Metric("cbw_p99_us", "us", "lower", SAME),
        workload.Metric("cbw_p99_vs_plain", "x", "lower", workload.Target("abs", "<=", 3.0, "<= 3x")),
        workload.Metric("snap_read_mib_s", "MiB/s", "higher", workload.Target("ratio", ">=", 1.0, ">= qsd")),
        workload.Metric("read_write_p99_us", "us", "lower", SAME),
        workload.Metric("read_guest_writes", "writes", "higher"),
    ]

    def setup(self, daemon):
        self.size = (_nbd.GiB // 4) if self.quick else 2 * _nbd.GiB
        self.image = _nbd.random_image(self.size)
        self.proc = self.start(daemon)
        self.sock = os.path.join(self.proc.dir, "nbd.sock")
        self.fleece = os.path.join(self.proc.dir, "fleece.qcow2")
        qmp = self.proc.qmp
        qmp.execute("blockdev-add", {"driver": "file", "node-name": "disk-file", "filename": self.image})
        qmp.execute("blockdev-add", {"driver": "raw", "node-name": "disk", "file": "disk-file"})
        qmp.execute("nbd-server-start", {"addr": {"type": "unix", "data": {"path": self.sock}}})
        qmp.execute("block-export-add", {"type": "nbd", "id": "guest", "node-name": "disk",
                                         "name": "disk", "writable": True})

    def insert_filter(self):
        _nbd.timed(["qemu-img", "create", "-q", "-f", "qcow2", self.fleece, str(self.size)])
        qmp = self.proc.qmp
        qmp.execute("blockdev-add", {"driver": "qcow2", "node-name": "fleece",
                                     "file": {"driver": "file", "filename": self.fleece}})
        qmp.execute("blockdev-add", {"driver": "copy-before-write", "node-name": "cbw",
                                     "file": "disk-file", "target": "fleece"})
        qmp.execute("blockdev-reopen", {"options": [{"driver": "raw", "node-name": "disk", "file": "cbw"}]})
        qmp.execute("blockdev-add", {"driver": "snapshot-access", "node-name": "snap", "file": "cbw"})
        qmp.execute("block-export-add", {"type": "nbd", "id": "snap", "node-name": "snap", "name": "snap"})

    def remove_filter(self):
        qmp = self.proc.qmp
        qmp.execute("block-export-del", {"id": "snap", "mode": "hard"})
        while any(e["id"] == "snap" for e in qmp.execute("query-block-exports")):
            pass
        qmp.execute("blockdev-del", {"node-name": "snap"})
        qmp.execute("blockdev-reopen", {"options": [{"driver": "raw", "node-name": "disk",
                                                     "file": "disk-file"}]})
        qmp.execute("blockdev-del", {"node-name": "cbw"})
        qmp.execute("blockdev-del", {"node-name": "fleece"})
        os.unlink(self.fleece)

    def latency(self):
        count = 500 if self.quick else 2000
        _, out = _nbd.timed([_nbd.LIBNBD_PYTHON, GUEST, _nbd.uri(self.sock), "latency", str(count)])
        return json.loads(out)

    def run(self):
        plain = self.latency()
        self.insert_filter()
        try:
            cbw = self.latency()
            _, out = _nbd.timed([_nbd.LIBNBD_PYTHON, READER, _nbd.uri(self.sock),
                                 _nbd.uri(self.sock, "snap"), str(self.size), str(GUEST_RATE)])
            read = json.loads(out)
        finally:
            self.remove_filter()
        return {"plain_p50_us": plain["p50_us"], "plain_p99_us": plain["p99_us"],
                "cbw_p50_us": cbw["p50_us"], "cbw_p99_us": cbw["p99_us"],
                "cbw_p99_vs_plain": cbw["p99_us"] / plain["p99_us"],
                "snap_read_mib_s": read["read_mib_s"], "read_write_p99_us": read["p99_us"],
                "read_guest_writes": read["writes"]}
