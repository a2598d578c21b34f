"""Run by fleecing with Debian's python3 (python3-libnbd): nbdcopy reads the
whole snapshot export to null: while this process writes 4 KiB at random
offsets of the guest export, one at a time, RATE a second, until the copy
is done. The guest is paced, as a real one does not write more because the
daemon is quicker: unpaced, a faster daemon takes three times the writes
(and their copies) during the read, and the read speeds compare unequal
work. Prints one JSON line: the copy's MiB/s and the guest writes' latency."""

import json
import random
import subprocess
import sys
import time

import nbd

guest_uri, snapshot_uri, size, rate = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
h = nbd.NBD()
h.connect_uri(guest_uri)
rng = random.Random(11)
payload = b"\xa5" * 4096
lat = []
t0 = time.perf_counter()
copy = subprocess.Popen(["nbdcopy", snapshot_uri, "null:"], stdin=subprocess.DEVNULL,
                        stderr=subprocess.PIPE)
while copy.poll() is None:
    due = t0 + len(lat) / rate
    now = time.perf_counter()
    if now < due:
        time.sleep(due - now)
    off = rng.randrange(size // 4096) * 4096
    w0 = time.perf_counter()
    h.pwrite(payload, off)
    lat.append(time.perf_counter() - w0)
elapsed = time.perf_counter() - t0
if copy.returncode != 0:
    sys.exit("nbdcopy failed: " + copy.stderr.read().decode(errors="replace")[-300:])
h.shutdown()
lat.sort()
print(json.dumps({"read_mib_s": size / elapsed / (1 << 20), "writes": len(lat),
                  "p99_us": lat[int(len(lat) * 0.99)] * 1e6 if lat else 0}))
