"""The conversation bin/lib/train-aot-cache has with a daemon: a typical
client's first commands, the block layer's (nodes, bitmaps, a transaction, an
NBD export with a client reading, writing and asking for block status), then
quit. What runs here is what the AOT cache loads and profiles ahead of time."""
import json
import os
import socket
import struct
import sys
import time

path = sys.argv[1]
deadline = time.monotonic() + 30
while True:
    try:
        sock = socket.socket(socket.AF_UNIX)
        sock.connect(path)
        break
    except OSError:
        if time.monotonic() > deadline:
            sys.exit("train-aot-cache: the daemon did not open " + path)
        time.sleep(0.02)

sock.settimeout(60)
stream = sock.makefile("rb")


def exchange(text):
    sock.sendall(text.encode())
    return stream.readline()


stream.readline()
exchange('{"execute":"qmp_capabilities","arguments":{"enable":["oob"]}}')
for _ in range(200):
    exchange('{"execute":"query-version","id":1}')
exchange('{"execute":"query-commands"}')
exchange('{"execute":"query-qmp-schema"}')
exchange('{"execute":"query-chardev"}')
exchange('{"execute":"no-such-command"}')
exchange('{"execute":"query-version","arguments":{"x":1}}')
sock.sendall(b"{'execute': ")
exchange("'query-version'}")


def qmp(command, **args):
    return exchange(json.dumps({"execute": command, "arguments": args}))


def nbd_session(path):
    """A minimal NBD client: structured replies, two meta contexts, writes, reads, block status."""
    nbd = socket.socket(socket.AF_UNIX)
    nbd.settimeout(60)
    nbd.connect(path)
    f = nbd.makefile("rb")
    f.read(18)
    nbd.sendall(struct.pack(">I", 3))

    def option(opt, data):
        nbd.sendall(b"IHAVEOPT" + struct.pack(">II", opt, len(data)) + data)
        while True:
            _, _, reply, length = struct.unpack(">QIII", f.read(20))
            f.read(length)
            if reply == 1 or reply >= 0x80000000:
                return

    name = b"disk"
    option(8, b"")
    queries = [b"base:allocation", b"qemu:dirty-bitmap:b0"]
    option(10, struct.pack(">I", len(name)) + name + struct.pack(">I", len(queries))
           + b"".join(struct.pack(">I", len(q)) + q for q in queries))
    option(7, struct.pack(">I", len(name)) + name + struct.pack(">H", 0))

    def request(kind, offset, length, data=b""):
        nbd.sendall(struct.pack(">IHHQQI", 0x25609513, 0, kind, 1, offset, length) + data)
        while True:
            magic = struct.unpack(">I", f.read(4))[0]
            if magic == 0x67446698:
                f.read(12)
                if kind == 0:
                    f.read(length)
                return
            flags, _, _, size = struct.unpack(">HHQI", f.read(16))
            f.read(size)
            if flags & 1:
                return

    block = os.urandom(4096)
    for i in range(300):
        request(1, (i * 7919 % 1024) * 4096, 4096, block)
        request(0, (i * 104729 % 1024) * 4096, 4096)
        request(7, 0, 4 << 20)
    nbd.sendall(struct.pack(">IHHQQI", 0x25609513, 0, 2, 2, 0, 0))
    nbd.close()


work = os.path.dirname(path)
qmp("blockdev-add", driver="null-co", **{"node-name": "n0", "size": 1 << 30})
image = os.path.join(work, "training.img")
with open(image, "wb") as img:
    img.truncate(4 << 20)
qmp("blockdev-add", driver="raw", **{"node-name": "disk", "file": {"driver": "file", "filename": image}})
for name in ("b0", "b1", "b2"):
    qmp("block-dirty-bitmap-add", node="disk", name=name)
qmp("transaction", actions=[
    {"type": "block-dirty-bitmap-add", "data": {"node": "n0", "name": "t", "disabled": True}},
    {"type": "block-dirty-bitmap-merge", "data": {"node": "disk", "target": "b1", "bitmaps": ["b0"]}},
    {"type": "block-dirty-bitmap-clear", "data": {"node": "disk", "name": "b2"}}])
exchange('{"execute":"x-debug-query-block-graph"}')
nbd_path = os.path.join(work, "nbd.sock")
qmp("nbd-server-start", addr={"type": "unix", "data": {"path": nbd_path}})
qmp("block-export-add", type="nbd", id="e0", writable=True, bitmaps=["b0"], **{"node-name": "disk"})
try:
    nbd_session(nbd_path)
except OSError as e:
    sys.exit("train-aot-cache: the NBD session failed: %s" % e)
for _ in range(20):
    qmp("block-dirty-bitmap-merge", node="disk", target="b1", bitmaps=["b2", {"node": "disk", "name": "b2"}])
    qmp("x-debug-block-dirty-bitmap-sha256", node="disk", name="b1")
    exchange('{"execute":"query-named-block-nodes"}')
    exchange('{"execute":"query-blockstats","arguments":{"query-nodes":true}}')
qmp("block-export-del", id="e0")
qmp("nbd-server-stop")
qmp("block-dirty-bitmap-remove", node="disk", name="b2")
sock.sendall(b'{"execute":"quit"}')
stream.read()
