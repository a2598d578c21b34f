"""nbd-server-cycle: what libvirt and Proxmox do around every backup, 200
times: nbd-server-start, block-export-add, one client connects and leaves,
nbd-server-stop (which returns once the export is gone). Reports ms per cycle, and the
daemon's thread count and open descriptors after the cycles against before,
which must not grow."""

import os
import socket
import struct
import time

from benchlib import workload
from benchlib.qmp import QmpError
from workloads import _nbd

SAME = workload.Target("ratio", "<=", 1.0, "no slower than qsd")


def touch(sock):
    """A minimal client: handshake, NBD_OPT_GO for "disk", NBD_CMD_DISC."""
    s = socket.socket(socket.AF_UNIX)
    s.connect(sock)
    s.recv(18, socket.MSG_WAITALL)
    s.sendall(struct.pack(">I", 3))
    name = b"disk"
    data = struct.pack(">I", len(name)) + name + struct.pack(">H", 0)
    s.sendall(struct.pack(">QII", 0x49484156454F5054, 7, len(data)) + data)
    while True:
        _, _, rtype, length = struct.unpack(">QIII", s.recv(20, socket.MSG_WAITALL))
        if length:
            s.recv(length, socket.MSG_WAITALL)
        if rtype != 3:
            break
    if rtype != 1:
        raise QmpError("NBD_OPT_GO failed: reply type 0x%x" % rtype)
    s.sendall(struct.pack(">IHHQQI", 0x25609513, 0, 2, 0, 0, 0))
    s.close()


class Workload(workload.Workload):
    name = "nbd-server-cycle"
    description = "nbd-server-start, block-export-add, a client, nbd-server-stop (ms per cycle)"
    order = 53
    metrics = [
        workload.Metric("cycle_ms", "ms", "lower", SAME),
        workload.Metric("threads_growth", "threads", "lower"),
        workload.Metric("fds_growth", "fds", "lower"),
    ]

    def setup(self, daemon):
        self.cycles = 20 if self.quick else 200
        self.image = _nbd.random_image(_nbd.GiB // 4 if self.quick else 2 * _nbd.GiB)
        self.proc = self.start(daemon)
        self.proc.qmp.execute("blockdev-add", {"driver": "raw", "node-name": "disk",
                                               "file": {"driver": "file", "filename": self.image}})
        self.sock = os.path.join(self.proc.dir, "nbd.sock")
        self.cycle()  # the first one loads what the server needs; not measured

    def cycle(self):
        qmp = self.proc.qmp
        qmp.execute("nbd-server-start", {"addr": {"type": "unix", "data": {"path": self.sock}}})
        qmp.execute("block-export-add", {"type": "nbd", "id": "e0", "node-name": "disk"})
        touch(self.sock)
        # Both daemons emit BLOCK_EXPORT_DELETED before stop's reply (execute skips events).
        qmp.execute("nbd-server-stop")

    def census(self):
        pid = self.proc.read_pid()
        with open("/proc/%d/status" % pid) as f:
            threads = int([l for l in f if l.startswith("Threads:")][0].split()[1])
        return threads, len(os.listdir("/proc/%d/fd" % pid))

    def run(self):
        threads0, fds0 = self.census()
        t0 = time.perf_counter()
        for _ in range(self.cycles):
            self.cycle()
        elapsed = time.perf_counter() - t0
        time.sleep(0.2)
        threads1, fds1 = self.census()
        return {"cycle_ms": elapsed * 1000.0 / self.cycles,
                "threads_growth": threads1 - threads0, "fds_growth": fds1 - fds0}
