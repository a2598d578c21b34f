"""nbd-copy: nbdcopy of a whole 2 GiB export (random data, not sparse) to
null: and to a file on the same file system, as backup software streams it.
The image is read from the page cache (it was just written), so the figure
is the server's and the socket's cost, not the disk's."""

import os

from benchlib import workload
from workloads import _nbd

TWICE = workload.Target("ratio", ">=", 2.0, ">= 2x qsd")
SAME = workload.Target("ratio", ">=", 1.0, "no slower than qsd")


class Workload(workload.Workload):
    name = "nbd-copy"
    description = "nbdcopy of a 2 GiB random-data export to null: and to a file (GiB/s)"
    order = 50
    metrics = [
        workload.Metric("to_null_gib_s", "GiB/s", "higher", TWICE),
        workload.Metric("to_file_gib_s", "GiB/s", "higher", SAME),
    ]

    def setup(self, daemon):
        self.size = (_nbd.GiB // 4) if self.quick else 2 * _nbd.GiB
        self.image = _nbd.random_image(self.size)
        self.proc = self.start(daemon)
        self.sock = _nbd.export(self.proc, self.image)
        self.out = os.path.join(self.proc.dir, "copy.img")

    def run(self):
        gib = self.size / _nbd.GiB
        t_null, _ = _nbd.timed(["nbdcopy", _nbd.uri(self.sock), "null:"])
        t_file, _ = _nbd.timed(["nbdcopy", _nbd.uri(self.sock), self.out])
        os.unlink(self.out)
        return {"to_null_gib_s": gib / t_null, "to_file_gib_s": gib / t_file}
