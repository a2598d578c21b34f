"""idle-rss: resident memory of the daemon idle after 1,000 query-version."""

import time

from benchlib import workload
from benchlib.procfs import kib, status

REQUEST = b'{"execute":"query-version"}'


class Workload(workload.Workload):
    name = "idle-rss"
    description = "VmRSS/VmHWM after negotiation + 1,000 query-version, a few s after start"
    order = 30
    metrics = [
        workload.Metric("rss_mib", "MiB", "lower",
                        workload.Target("abs", "<", 64, "<64 MiB (qsd ~9)")),
        workload.Metric("hwm_mib", "MiB", "lower"),
        workload.Metric("threads", "", "lower"),
    ]

    def setup(self, daemon):
        self.settle = 1.5 if self.quick else 3.0
        self.proc = self.start(daemon)
        self.pid = self.proc.read_pid()  # from --pidfile: the daemon itself, not a wrapper

    def run(self):
        self.proc.qmp.roundtrips(REQUEST, 1000)
        delay = self.proc.t_exec + self.settle - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        st = status(self.pid)
        return {
            "rss_mib": kib(st["VmRSS"]) / 1024.0,
            "hwm_mib": kib(st["VmHWM"]) / 1024.0,
            "threads": int(st["Threads"]),
        }
