"""qcow2: the qcow2 data path over NBD, 64 KiB clusters. A fresh 2 GiB
image filled sequentially by nbdcopy from the random-data raw image (every
cluster allocated on the way) and read back to null:; 4 KiB random writes at
QD16 into that now allocated image (in place) and into another fresh image
(each write allocates a cluster); and nbdcopy to null: of the top of a
3-deep backing chain (base with every cluster, middle and top layers with
every third MiB each), so a read walks all three layers. Fresh images are
made with qemu-img in each round; the chain once per run."""

import json
import os
import subprocess

from benchlib import workload
from workloads import _nbd

SAME = workload.Target("ratio", ">=", 1.0, "no slower than qsd")
CLIENT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "_qcow2_write_client.py")
CLUSTER = 65536
_chains = {}


def qcow2_image(path, size, backing=None):
    args = ["qemu-img", "create", "-q", "-f", "qcow2", "-o", "cluster_size=%d" % CLUSTER]
    if backing:
        args += ["-b", backing, "-F", "qcow2"]
    subprocess.run(args + [path, str(size)], check=True)


def chain(size):
    """base <- mid <- top: base holds the random data, mid and top each 1 MiB of every 3 MiB."""
    if size not in _chains:
        d = _nbd.scratch_dir()
        base, mid, top = (os.path.join(d, "chain-%d-%s.qcow2" % (size, n)) for n in ("base", "mid", "top"))
        subprocess.run(["qemu-img", "convert", "-O", "qcow2", "-o", "cluster_size=%d" % CLUSTER,
                        _nbd.random_image(size), base], check=True)
        for layer, start, pattern in ((mid, 0, 0x11), (top, _nbd.MiB, 0x22)):
            qcow2_image(layer, size, backing=os.path.basename(base) if layer == mid else os.path.basename(mid))
            cmds = []
            for off in range(start, size, 3 * _nbd.MiB):
                cmds += ["-c", "write -q -P %d %d %d" % (pattern, off, _nbd.MiB)]
            subprocess.run(["qemu-io", "-f", "qcow2"] + cmds + [layer], check=True, stdout=subprocess.DEVNULL)
        _chains[size] = top
    return _chains[size]


class Workload(workload.Workload):
    name = "qcow2"
    description = "qcow2 (64 KiB clusters) over NBD: 2 GiB sequential write/read, 4 KiB random writes " \
                  "(allocating, in place), read through a 3-deep chain"
    order = 55
    metrics = [
        workload.Metric("seq_write_gib_s", "GiB/s", "higher", SAME),
        workload.Metric("seq_read_gib_s", "GiB/s", "higher", SAME),
        workload.Metric("rand_write_alloc_iops", "IOPS", "higher", SAME),
        workload.Metric("rand_write_inplace_iops", "IOPS", "higher", SAME),
        workload.Metric("chain_read_gib_s", "GiB/s", "higher", SAME),
    ]

    def setup(self, daemon):
        self.size = (_nbd.GiB // 4) if self.quick else 2 * _nbd.GiB
        self.count = 2000 if self.quick else 20000
        self.source = _nbd.random_image(self.size)
        self.top = chain(self.size)
        self.proc = self.start(daemon)
        self.filled = os.path.join(self.proc.dir, "filled.qcow2")
        self.fresh = os.path.join(self.proc.dir, "fresh.qcow2")
        qcow2_image(self.filled, self.size)
        qcow2_image(self.fresh, self.size)
        self.sock = os.path.join(self.proc.dir, "nbd.sock")
        qmp = self.proc.qmp
        qmp.execute("nbd-server-start", {"addr": {"type": "unix", "data": {"path": self.sock}}})
        for name, path, writable in (("filled", self.filled, True), ("fresh", self.fresh, True),
                                     ("chain", self.top, False)):
            qmp.execute("blockdev-add", {"driver": "qcow2", "node-name": name, "read-only": not writable,
                                         "file": {"driver": "file", "filename": path}})
            qmp.execute("block-export-add", {"type": "nbd", "id": name, "node-name": name,
                                             "name": name, "writable": writable})

    def writes(self, name, seed):
        _, out = _nbd.timed([_nbd.LIBNBD_PYTHON, CLIENT, _nbd.uri(self.sock, name), "16", str(self.count),
                             str(seed)])
        return json.loads(out)["iops"]

    def run(self):
        gib = self.size / _nbd.GiB
        t_write, _ = _nbd.timed(["nbdcopy", "--flush", self.source, _nbd.uri(self.sock, "filled")])
        t_read, _ = _nbd.timed(["nbdcopy", _nbd.uri(self.sock, "filled"), "null:"])
        inplace = self.writes("filled", 1)
        alloc = self.writes("fresh", 2)
        t_chain, _ = _nbd.timed(["nbdcopy", _nbd.uri(self.sock, "chain"), "null:"])
        return {"seq_write_gib_s": gib / t_write, "seq_read_gib_s": gib / t_read,
                "rand_write_alloc_iops": alloc, "rand_write_inplace_iops": inplace,
                "chain_read_gib_s": gib / t_chain}
