"""startup: exec of the daemon -> QMP greeting, and -> first answered query-version."""

import time

from benchlib import workload
from benchlib.stats import median


class Workload(workload.Workload):
    name = "startup"
    description = "exec -> QMP greeting and exec -> first query-version reply (median of starts)"
    order = 20
    metrics = [
        workload.Metric("greeting_ms", "ms", "lower",
                        workload.Target("abs", "<", 300, "<300 ms")),
        workload.Metric("first_reply_ms", "ms", "lower"),
    ]

    def setup(self, daemon):
        self.daemon = daemon
        self.starts = 3 if self.quick else 10

    def run(self):
        greet, first = [], []
        for _ in range(self.starts):
            proc = self.daemon.launch()  # t_exec taken just before fork/exec
            try:
                proc.connect()  # poll-connect, read greeting -> t_greeting
                proc.qmp.negotiate()
                proc.qmp.execute("query-version")
                t_reply = time.perf_counter()
            finally:
                proc.stop()
            greet.append((proc.t_greeting - proc.t_exec) * 1000.0)
            first.append((t_reply - proc.t_exec) * 1000.0)
        return {"greeting_ms": median(greet), "first_reply_ms": median(first)}
