"""Run by backup with Debian's python3 (python3-libnbd): a guest's 4 KiB
writes at random offsets, one at a time (queue depth 1), or the writes that
dirty a share of the disk's 64 KiB clusters. Prints one JSON line."""

import json
import random
import sys
import time

import nbd

uri, mode, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
h = nbd.NBD()
h.connect_uri(uri)
size = h.get_size()
rng = random.Random(7)
result = {}
if mode == "latency":
    payload = b"\x5a" * 4096
    lat = []
    for _ in range(count):
        off = rng.randrange(size // 4096) * 4096
        t0 = time.perf_counter()
        h.pwrite(payload, off)
        lat.append(time.perf_counter() - t0)
    lat.sort()
    result = {"p50_us": lat[len(lat) // 2] * 1e6, "p99_us": lat[int(len(lat) * 0.99)] * 1e6}
else:
    cluster = 65536
    payload = bytearray(rng.randbytes(cluster))
    clusters = rng.sample(range(size // cluster), count)
    buf = nbd.Buffer.from_bytearray(payload)
    i = 0
    while i < len(clusters) or h.aio_in_flight() > 0:
        while i < len(clusters) and h.aio_in_flight() < 16:
            h.aio_pwrite(buf, clusters[i] * cluster, completion=lambda err: 1)
            i += 1
        h.poll(-1)
    h.flush()
h.shutdown()
print(json.dumps(result))
