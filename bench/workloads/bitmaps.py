"""bitmaps: dirty bitmaps on a 16 TiB null-co node at 64 KiB granularity
(256 Mi granules, which QEMU keeps as a dense 32 MiB array per bitmap).

Steps, each timed: block-dirty-bitmap-add; dirtying 100,000 scattered
extents through a writable NBD export (a raw C client, 64 requests in
flight: see _bitmap_dirty_client.c for why not libnbd) into b0, then
100,000 others into b1 (b0 disabled meanwhile); merging b1 into b0; the
sha256 of b0; query-named-block-nodes (the median of five calls, like
add's three); clearing b1. Then eight more bitmaps
each get b0's 200,000 extents by merge, and the daemon's resident memory
with those ten bitmaps is read against its memory before the first.

A daemon runs for months and its commands run warm: before the timed steps,
the same steps run fifty times on a second, small null-co node (10,000
extents), for both daemons alike. Fifty, because Fleece's JIT has compiled
all of query-named-block-nodes only after 30 to 40 calls: before that it
takes 0.4-1.5 ms, after 0.1 ms. The very first add, sha256 and query of
the daemon's life are timed too (first_*): for Fleece they include the JIT
compiling those paths, once per process."""

import json
import os
import time

from benchlib import workload
from benchlib.procfs import kib, status
from benchlib.stats import median
from workloads import _nbd

TWICE = workload.Target("ratio", "<=", 0.5, "2x faster than qsd")
CLIENT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "_bitmap_dirty_client.c")
SIZE = 16 << 40
EXTENTS = 100000
WARM_UP = 50
# A single sub-millisecond call after a long one mostly times this VM waking
# idle threads (both daemons pay about 0.2 ms for it), so the median of five.
QUERIES = 5


class Workload(workload.Workload):
    name = "bitmaps"
    description = "dirty bitmaps on a 16 TiB node: add, dirty 100,000 extents over NBD, merge, sha256, query, clear, RSS of 10"
    order = 60
    metrics = [
        workload.Metric("add_ms", "ms", "lower", TWICE),
        workload.Metric("dirty_ms", "ms", "lower", TWICE),
        workload.Metric("merge_ms", "ms", "lower", TWICE),
        workload.Metric("sha256_ms", "ms", "lower", TWICE),
        workload.Metric("query_ms", "ms", "lower", TWICE),
        workload.Metric("clear_ms", "ms", "lower", TWICE),
        workload.Metric("rss10_mib", "MiB", "lower", workload.Target("ratio", "<=", 0.25, "4x smaller than qsd")),
        workload.Metric("first_add_ms", "ms", "lower"),
        workload.Metric("first_sha256_ms", "ms", "lower"),
        workload.Metric("first_query_ms", "ms", "lower"),
    ]

    def setup(self, daemon):
        self.extents = EXTENTS // 10 if self.quick else EXTENTS
        self.proc = self.start(daemon)
        self.pid = self.proc.read_pid()
        qmp = self.proc.qmp
        qmp.execute("blockdev-add", {"driver": "null-co", "node-name": "n0", "size": SIZE})
        self.sock = os.path.join(self.proc.dir, "nbd.sock")
        qmp.execute("nbd-server-start", {"addr": {"type": "unix", "data": {"path": self.sock}}})
        qmp.execute("block-export-add", {"type": "nbd", "id": "e0", "node-name": "n0",
                                         "name": "disk", "writable": True})
        qmp.execute("blockdev-add", {"driver": "null-co", "node-name": "w0", "size": SIZE >> 4})
        qmp.execute("block-export-add", {"type": "nbd", "id": "w0", "node-name": "w0",
                                         "name": "warm", "writable": True})

    def timed(self, command, args):
        t0 = time.perf_counter()
        reply = self.proc.qmp.execute(command, args)
        return (time.perf_counter() - t0) * 1000.0, reply

    def dirty(self, phase, export="disk", extents=None):
        _, out = _nbd.timed([_nbd.c_client(CLIENT), self.sock, export, str(extents or self.extents), str(phase)])
        return json.loads(out)["seconds"] * 1000.0

    def warm_up(self):
        """The timed steps on node w0, WARM_UP times; -> the first add, sha256 and query (ms)."""
        first = {}
        for _ in range(WARM_UP):
            for name in ("w0", "w1"):
                t, _ = self.timed("block-dirty-bitmap-add", {"node": "w0", "name": name})
                first.setdefault("first_add_ms", t)
            self.dirty(0, "warm", self.extents // 10)
            self.proc.qmp.execute("block-dirty-bitmap-merge", {"node": "w0", "target": "w1", "bitmaps": ["w0"]})
            t, _ = self.timed("x-debug-block-dirty-bitmap-sha256", {"node": "w0", "name": "w1"})
            first.setdefault("first_sha256_ms", t)
            t, _ = self.timed("query-named-block-nodes", {})
            first.setdefault("first_query_ms", t)
            for name in ("w0", "w1"):
                self.proc.qmp.execute("block-dirty-bitmap-clear", {"node": "w0", "name": name})
                self.proc.qmp.execute("block-dirty-bitmap-remove", {"node": "w0", "name": name})
        return first

    def run(self):
        rss_before = kib(status(self.pid)["VmRSS"])
        first = self.warm_up()
        adds = []
        for _ in range(3):
            t, _ = self.timed("block-dirty-bitmap-add", {"node": "n0", "name": "probe"})
            adds.append(t)
            self.proc.qmp.execute("block-dirty-bitmap-remove", {"node": "n0", "name": "probe"})
        self.proc.qmp.execute("block-dirty-bitmap-add", {"node": "n0", "name": "b0"})
        dirty = self.dirty(0)
        self.proc.qmp.execute("block-dirty-bitmap-disable", {"node": "n0", "name": "b0"})
        self.proc.qmp.execute("block-dirty-bitmap-add", {"node": "n0", "name": "b1"})
        dirty += self.dirty(1)
        self.proc.qmp.execute("block-dirty-bitmap-disable", {"node": "n0", "name": "b1"})
        merge, _ = self.timed("block-dirty-bitmap-merge", {"node": "n0", "target": "b0", "bitmaps": ["b1"]})
        sha, _ = self.timed("x-debug-block-dirty-bitmap-sha256", {"node": "n0", "name": "b0"})
        queries = []
        for _ in range(QUERIES):
            t, nodes = self.timed("query-named-block-nodes", {})
            queries.append(t)
        counts = {b["name"]: b["count"] for b in next(n for n in nodes if n["node-name"] == "n0")["dirty-bitmaps"]}
        if counts["b0"] < 2 * self.extents * 65536 * 0.99:
            raise RuntimeError("b0 holds only %d bytes after dirtying" % counts["b0"])
        clear, _ = self.timed("block-dirty-bitmap-clear", {"node": "n0", "name": "b1"})
        self.proc.qmp.execute("block-dirty-bitmap-remove", {"node": "n0", "name": "b1"})
        for i in range(2, 11):
            self.proc.qmp.execute("block-dirty-bitmap-add", {"node": "n0", "name": "b%d" % i, "disabled": True})
            self.proc.qmp.execute("block-dirty-bitmap-merge", {"node": "n0", "target": "b%d" % i, "bitmaps": ["b0"]})
        time.sleep(0.5)
        rss_after = kib(status(self.pid)["VmRSS"])
        return {
            "add_ms": median(adds),
            "dirty_ms": dirty,
            "merge_ms": merge,
            "sha256_ms": sha,
            "query_ms": median(queries),
            "clear_ms": clear,
            "rss10_mib": max(rss_after, rss_before) / 1024.0,
            **first,
        }
