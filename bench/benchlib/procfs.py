"""Reading a process's figures from /proc."""

import os

_TICK = os.sysconf("SC_CLK_TCK")


def status(pid):
    """/proc/PID/status as {key: raw value string}."""
    out = {}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            key, _, value = line.partition(":")
            out[key] = value.strip()
    return out


def kib(value):
    """'8908 kB' -> 8908."""
    return int(value.split()[0])


def cpu_seconds(pid):
    """User + system CPU time of all threads of PID (clock-tick resolution)."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _TICK
