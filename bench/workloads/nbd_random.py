"""nbd-random: 4 KiB random reads, then writes, through a writable export of
the 2 GiB random-data image, with python3-libnbd at queue depth 1 and 16
(one connection; buffers reused, so slots are recycled as replies arrive)."""

import json
import os

from benchlib import workload
from workloads import _nbd

SAME = workload.Target("ratio", ">=", 1.0, "no slower than qsd")
CLIENT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "_nbd_random_client.py")


class Workload(workload.Workload):
    name = "nbd-random"
    description = "4 KiB random reads and writes over NBD (python3-libnbd), QD1 and QD16 (IOPS)"
    order = 51
    metrics = [
        workload.Metric("qd1_read_iops", "IOPS", "higher", SAME),
        workload.Metric("qd1_write_iops", "IOPS", "higher", SAME),
        workload.Metric("qd16_read_iops", "IOPS", "higher", SAME),
        workload.Metric("qd16_write_iops", "IOPS", "higher", SAME),
    ]

    def setup(self, daemon):
        self.image = _nbd.random_image((_nbd.GiB // 4) if self.quick else 2 * _nbd.GiB)
        self.proc = self.start(daemon)
        self.sock = _nbd.export(self.proc, self.image, writable=True)
        self.count = 2000 if self.quick else 20000

    def run(self):
        figures = {}
        for depth in (1, 16):
            _, out = _nbd.timed([_nbd.LIBNBD_PYTHON, CLIENT, _nbd.uri(self.sock), str(depth), str(self.count)])
            r = json.loads(out)
            figures["qd%d_read_iops" % depth] = r["read_iops"]
            figures["qd%d_write_iops" % depth] = r["write_iops"]
        return figures
