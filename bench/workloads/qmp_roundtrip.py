"""qmp-roundtrip: sequential query-version round trips after negotiation."""

import gc
import time

from benchlib import workload
from benchlib.procfs import cpu_seconds
from benchlib.stats import percentile

REQUEST = b'{"execute":"query-version"}'


class Workload(workload.Workload):
    name = "qmp-roundtrip"
    description = "sequential query-version round trips on the QMP UNIX socket"
    order = 10
    metrics = [
        workload.Metric("ops_s", "ops/s", "higher",
                        workload.Target("ratio", ">=", 2.0, ">=2x qsd rate")),
        workload.Metric("p50_us", "us", "lower"),
        workload.Metric("p99_us", "us", "lower"),
        # CPU per round trip: the daemon's (all threads) and the client's own.
        workload.Metric("daemon_cpu_us", "us/op", "lower"),
        workload.Metric("client_cpu_us", "us/op", "lower"),
    ]

    def setup(self, daemon):
        self.n = 2000 if self.quick else 20000
        self.proc = self.start(daemon)
        self.pid = self.proc.read_pid()
        # Untimed warm-up (JIT, caches); same for every daemon.
        self.proc.qmp.roundtrips(REQUEST, 500 if self.quick else 5000)

    def run(self):
        lat = []
        gc.disable()
        try:
            d0 = cpu_seconds(self.pid)
            c0 = time.process_time()
            t0 = time.perf_counter()
            self.proc.qmp.roundtrips(REQUEST, self.n, lat)
            elapsed = time.perf_counter() - t0
            client = time.process_time() - c0
            daemon = cpu_seconds(self.pid) - d0
        finally:
            gc.enable()
        lat.sort()
        return {
            "ops_s": self.n / elapsed,
            "p50_us": percentile(lat, 50, presorted=True) / 1000.0,
            "p99_us": percentile(lat, 99, presorted=True) / 1000.0,
            "daemon_cpu_us": daemon / self.n * 1e6,
            "client_cpu_us": client / self.n * 1e6,
        }
