"""graph-nodes: blockdev-add 1,000 raw-over-file nodes, query-named-block-nodes, blockdev-del.

Each image is a 1 MiB sparse raw file, created once per harness run in one
temp dir and shared by both daemons (only one daemon runs at a time, so
file locks never collide). Each blockdev-add is one raw node with an inline
file child, both named ("r<i>" over "f<i>"), so the graph holds 2,000 nodes
and the query reply is deterministic:

  {"driver":"raw","node-name":"r7","file":{"driver":"file","node-name":"f7","filename":".../7.img"}}

blockdev-add and blockdev-del requests are pipelined: all 1,000 are written
at once (by a sender thread) while the replies are read, so the figure is the
daemon's throughput rather than the client's round-trip latency. The query is
sequential: median of several single calls; its reply size is reported too.
"""

import atexit
import json
import os
import resource
import shutil
import tempfile
import threading
import time

from benchlib import workload
from benchlib.qmp import CRLF, QmpError
from benchlib.stats import median

N = 1000
SAME = workload.Target("ratio", "<=", 1.0, "no slower than qsd")

_images = None  # (dir, [paths]) shared by every instance in this process


def images():
    global _images
    if _images is None:
        d = tempfile.mkdtemp(prefix="fb-graph-")
        atexit.register(shutil.rmtree, d, True)
        paths = []
        for i in range(N):
            p = os.path.join(d, "%d.img" % i)
            with open(p, "wb") as f:
                f.truncate(1 << 20)
            paths.append(p)
        _images = (d, paths)
    return _images[1]


def ensure_nofile(needed):
    """Both daemons inherit the harness's RLIMIT_NOFILE: raise its soft limit if too low."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < needed:
        if hard != resource.RLIM_INFINITY and hard < needed:
            raise OSError("open-files hard limit %d < %d needed for %d images" % (hard, needed, N))
        resource.setrlimit(resource.RLIMIT_NOFILE, (needed, hard))


def compact(obj):
    return json.dumps(obj, separators=(",", ":")).encode()


class Workload(workload.Workload):
    name = "graph-nodes"
    description = "blockdev-add/del 1,000 raw-over-file nodes (pipelined), query-named-block-nodes"
    order = 40
    metrics = [
        workload.Metric("add_ms", "ms", "lower", SAME),
        workload.Metric("query_ms", "ms", "lower", SAME),
        workload.Metric("reply_kib", "KiB", "lower"),
        workload.Metric("del_ms", "ms", "lower", SAME),
    ]

    def setup(self, daemon):
        self.paths = images()
        ensure_nofile(2 * N + 1024)
        self.queries = 3 if self.quick else 7
        self.proc = self.start(daemon)
        self.qmp = self.proc.qmp
        self.adds = b"".join(compact({"execute": "blockdev-add", "arguments": {
            "driver": "raw", "node-name": "r%d" % i,
            "file": {"driver": "file", "node-name": "f%d" % i, "filename": p}}})
            for i, p in enumerate(self.paths))
        self.dels = b"".join(compact({"execute": "blockdev-del", "arguments": {"node-name": "r%d" % i}})
                             for i in range(N))

    def pipelined(self, what, requests, n):
        """Write all requests from a thread while reading n replies here; -> seconds."""
        qmp = self.qmp
        if qmp.buf:
            raise QmpError("unread data before %s: %r" % (what, qmp.buf[:200]))
        failure = []

        def send():
            try:
                qmp.sock.sendall(requests)
            except OSError as e:
                failure.append(e)

        sender = threading.Thread(target=send, daemon=True)
        t0 = time.perf_counter()
        sender.start()
        got = 0
        data = b""
        recv = qmp.sock.recv
        while got < n:
            chunk = recv(1 << 16)
            if not chunk:
                raise QmpError("connection closed by the daemon during %s" % what)
            data += chunk
            got = data.count(CRLF)  # every reply is one line; no events expected here
        elapsed = time.perf_counter() - t0
        sender.join()
        if failure:
            raise failure[0]
        lines = data.split(CRLF)
        qmp.buf = lines.pop()
        errors = [l for l in lines if b'"error"' in l]
        if errors or len(lines) != n:
            raise QmpError("%s: %d replies, %d errors, first: %s"
                           % (what, len(lines), len(errors), (errors or [b""])[0][:300].decode()))
        return elapsed

    def query(self):
        """One query-named-block-nodes -> (seconds, reply bytes incl. CRLF)."""
        qmp = self.qmp
        recv = qmp.sock.recv
        t0 = time.perf_counter()
        qmp.sock.sendall(b'{"execute":"query-named-block-nodes"}')
        data = bytearray(recv(1 << 20))
        while not data.endswith(CRLF):
            more = recv(1 << 20)
            if not more:
                raise QmpError("connection closed by the daemon during query")
            data += more
        elapsed = time.perf_counter() - t0
        data = bytes(data)
        if data.count(CRLF) != 1:
            raise QmpError("query: unexpected extra data: %r" % data[:200])
        return elapsed, data

    def run(self):
        add = self.pipelined("blockdev-add", self.adds, N)
        times = []
        reply = b""
        for _ in range(self.queries):
            t, reply = self.query()
            times.append(t)
        nodes = json.loads(reply).get("return")
        if not isinstance(nodes, list) or len(nodes) != 2 * N:
            raise QmpError("query-named-block-nodes: expected %d nodes, got %s"
                           % (2 * N, len(nodes) if isinstance(nodes, list) else reply[:200]))
        delete = self.pipelined("blockdev-del", self.dels, N)
        left = self.qmp.execute("query-named-block-nodes")
        if left:
            raise QmpError("%d nodes left after blockdev-del" % len(left))
        return {
            "add_ms": add * 1000.0,
            "query_ms": median(times) * 1000.0,
            "reply_kib": len(reply) / 1024.0,
            "del_ms": delete * 1000.0,
        }
