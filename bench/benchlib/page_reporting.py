"""Holds off this VM's free page reporting for a run, and puts it back after.

A guest with virtio-balloon free page reporting hands pages it freed back
to its host, and the next write into such a page pays a host fault: a copy
of 2 GiB into them ran at 0.4-1.3 GiB/s instead of 4, for cp as for either
daemon, decided by a race with the reporting that no program controls.
This kernel lets a page stay free for min_free_ms before it is reported
(0 here) unless more than max_waiting_mib wait (1024 here); with both
raised, a cp of 2 GiB after the deletion of an earlier copy ran at 4.0-4.2
GiB/s eighteen times in a row (before: 1.3 or 4.1 by turns, or 0.6 after a
pause of 6 s). Nothing happens on a machine without these knobs, or when
they are not writable.
"""

import contextlib
import os

KNOBS = "/sys/module/page_reporting/parameters"
# The largest this kernel took: it refused min_free_ms=500000.
HELD = {"min_free_ms": "300000", "max_waiting_mib": "65536"}


def _read(name):
    with open(os.path.join(KNOBS, name)) as f:
        return f.read().strip()


def _write(name, value):
    with open(os.path.join(KNOBS, name), "w") as f:
        f.write(value)


@contextlib.contextmanager
def held_off(log=print):
    saved, written = {}, []
    try:
        saved = {name: _read(name) for name in HELD}
        for name, value in HELD.items():
            _write(name, value)
            written.append(name)
    except OSError:
        pass
    if written:
        log("page reporting held off for the run (%s; were %s)" % (
            ", ".join("%s=%s" % kv for kv in HELD.items()), ", ".join("%s=%s" % kv for kv in saved.items())))
    try:
        yield
    finally:
        for name in written:
            _write(name, saved[name])
