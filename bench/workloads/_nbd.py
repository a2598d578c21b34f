"""What the NBD workloads share: test images made once per harness run, a
daemon with one export of an image, and helpers that time client programs.

Images live in one temp dir removed at exit. Both daemons export the same
image file in turn (one daemon runs at a time)."""

import atexit
import os
import shutil
import subprocess
import tempfile
import time

from benchlib.qmp import QmpError

GiB = 1 << 30
MiB = 1 << 20
# python3-libnbd is Debian's: the harness's own python may not have it.
LIBNBD_PYTHON = "/usr/bin/python3"

_dir = None
_images = {}


def scratch_dir():
    global _dir
    if _dir is None:
        _dir = tempfile.mkdtemp(prefix="fb-nbd-")
        atexit.register(shutil.rmtree, _dir, True)
    return _dir


def random_image(size):
    """A non-sparse raw image of random data (made once per size)."""
    key = ("random", size)
    if key not in _images:
        path = os.path.join(scratch_dir(), "random-%d.img" % size)
        chunk = 16 * MiB
        with open(path, "wb") as f:
            for _ in range(size // chunk):
                f.write(os.urandom(chunk))
        _images[key] = path
    return _images[key]


def sparse_image(size, blocks, block=4096):
    """A sparse raw image with `blocks` data blocks spread evenly: 2*blocks extents."""
    key = ("sparse", size, blocks)
    if key not in _images:
        path = os.path.join(scratch_dir(), "sparse-%d-%d.img" % (size, blocks))
        step = size // blocks
        data = b"\x5a" * block
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        try:
            os.ftruncate(fd, size)
            for i in range(blocks):
                os.pwrite(fd, data, i * step)
        finally:
            os.close(fd)
        _images[key] = path
    return _images[key]


def export(proc, image, writable=False, name="disk"):
    """Starts the NBD server on a UNIX socket in the daemon's dir and exports image; -> socket path."""
    sock = os.path.join(proc.dir, "nbd.sock")
    qmp = proc.qmp
    qmp.execute("blockdev-add", {"driver": "raw", "node-name": "disk",
                                 "file": {"driver": "file", "filename": image}})
    qmp.execute("nbd-server-start", {"addr": {"type": "unix", "data": {"path": sock}}})
    qmp.execute("block-export-add", {"type": "nbd", "id": "e0", "node-name": "disk",
                                     "name": name, "writable": writable})
    return sock


def c_client(source):
    """Builds a C client program into the scratch dir (once per harness run); -> its path."""
    key = ("c", source)
    if key not in _images:
        binary = os.path.join(scratch_dir(), os.path.splitext(os.path.basename(source))[0])
        p = subprocess.run(["gcc", "-O2", "-Wall", "-o", binary, source], capture_output=True)
        if p.returncode != 0:
            raise RuntimeError("gcc could not build %s: %s" % (source, p.stderr.decode(errors="replace")[-300:]))
        _images[key] = binary
    return _images[key]


def uri(sock, name="disk"):
    return "nbd+unix:///%s?socket=%s" % (name, sock)


def timed(argv, timeout=600):
    """Runs a client program; -> seconds. Fails on a non-zero exit."""
    t0 = time.perf_counter()
    p = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout)
    elapsed = time.perf_counter() - t0
    if p.returncode != 0:
        raise QmpError("%s failed (%d): %s" % (argv[0], p.returncode,
                                               p.stderr.decode(errors="replace")[-300:]))
    return elapsed, p.stdout
