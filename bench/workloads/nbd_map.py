"""nbd-map: nbdinfo --map (base:allocation) of a 1 TiB sparse raw image with
50,000 data blocks of 4 KiB spread evenly, that is 100,000 extents; the
image is made once per run."""

from benchlib import workload
from benchlib.qmp import QmpError
from workloads import _nbd

SAME = workload.Target("ratio", "<=", 1.0, "no slower than qsd")
TiB = 1 << 40
BLOCKS = 50000


class Workload(workload.Workload):
    name = "nbd-map"
    description = "nbdinfo --map of a 1 TiB sparse image with 100,000 extents"
    order = 52
    metrics = [workload.Metric("map_ms", "ms", "lower", SAME)]

    def setup(self, daemon):
        self.blocks = BLOCKS // 10 if self.quick else BLOCKS
        self.image = _nbd.sparse_image(TiB, self.blocks)
        self.proc = self.start(daemon)
        self.sock = _nbd.export(self.proc, self.image)

    def run(self):
        elapsed, out = _nbd.timed(["nbdinfo", "--map", _nbd.uri(self.sock)])
        lines = out.count(b"\n")
        if lines != 2 * self.blocks:
            raise QmpError("nbdinfo --map: %d extents, expected %d" % (lines, 2 * self.blocks))
        return {"map_ms": elapsed * 1000.0}
