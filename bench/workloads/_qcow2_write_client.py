"""Run by the qcow2 workload with Debian's python3 (python3-libnbd): 4 KiB
writes at random 4 KiB-aligned offsets at a queue depth, then one flush (in
the time: the metadata a write allocated is only durable after it).
Prints one JSON line: {"iops": ...}."""

import json
import random
import sys
import time

import nbd

uri, depth, count, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
BS = 4096
h = nbd.NBD()
h.connect_uri(uri)
blocks = h.get_size() // BS
rng = random.Random(seed)
offsets = [rng.randrange(blocks) * BS for _ in range(count)]
payload = nbd.Buffer.from_bytearray(bytearray(b"\x5a" * BS))
t0 = time.perf_counter()
i = 0
while i < count or h.aio_in_flight() > 0:
    while i < count and h.aio_in_flight() < depth:
        # A completion callback returning 1 retires the command by itself.
        h.aio_pwrite(payload, offsets[i], completion=lambda err: 1)
        i += 1
    h.poll(-1)
h.flush()
elapsed = time.perf_counter() - t0
h.shutdown()
print(json.dumps({"iops": count / elapsed}))
