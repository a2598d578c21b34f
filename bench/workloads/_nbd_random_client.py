"""Run by nbd_random with Debian's python3 (python3-libnbd): 4 KiB random
reads then writes at a queue depth, for a fixed number of requests each.
Prints one JSON line: {"read_iops": ..., "write_iops": ...}."""

import json
import random
import sys
import time

import nbd

uri, depth, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
BS = 4096
h = nbd.NBD()
h.connect_uri(uri)
blocks = h.get_size() // BS
rng = random.Random(42)
result = {}
payload = bytearray(b"\xa5" * BS)
for kind in ("read", "write"):
    offsets = [rng.randrange(blocks) * BS for _ in range(count)]
    buffers = [nbd.Buffer(BS) if kind == "read" else nbd.Buffer.from_bytearray(payload)
               for _ in range(depth)]
    t0 = time.perf_counter()
    i = 0
    while i < count or h.aio_in_flight() > 0:
        while i < count and h.aio_in_flight() < depth:
            b = buffers[i % depth]
            # A completion callback returning 1 retires the command by itself.
            if kind == "read":
                h.aio_pread(b, offsets[i], completion=lambda err: 1)
            else:
                h.aio_pwrite(b, offsets[i], completion=lambda err: 1)
            i += 1
        h.poll(-1)
    result[kind + "_iops"] = count / (time.perf_counter() - t0)
h.flush()
h.shutdown()
print(json.dumps(result))
