"""Run by the bitmaps workload with Debian's python3 (python3-libnbd):
writes COUNT scattered 4 KiB extents through an NBD export at queue depth 64.
Extent i lands at i * (size / COUNT) plus a few KiB, shifted by half a step
for PHASE 1, so every extent of either phase dirties a granule of its own. Prints {"seconds": ...}."""

import json
import sys
import time

import nbd

uri, count, phase = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
DEPTH = 64
BS = 4096
h = nbd.NBD()
h.connect_uri(uri)
step = h.get_size() // count
buffers = [nbd.Buffer.from_bytearray(bytearray(b"\x5a" * BS)) for _ in range(DEPTH)]
t0 = time.perf_counter()
i = 0
while i < count or h.aio_in_flight() > 0:
    while i < count and h.aio_in_flight() < DEPTH:
        offset = i * step + phase * (step // 2) + ((i * 7) % 16) * BS
        # A completion callback returning 1 retires the command by itself.
        h.aio_pwrite(buffers[i % DEPTH], offset, completion=lambda err: 1)
        i += 1
    h.poll(-1)
elapsed = time.perf_counter() - t0
h.shutdown()
print(json.dumps({"seconds": elapsed}))
