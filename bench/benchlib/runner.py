"""Command line, round alternation between daemons, client-ceiling check."""

import argparse
import os
import platform
import sys
import time

from . import daemons, page_reporting, report
from .qmp import QmpError
from .daemons import DaemonUnavailable
from workloads import discover

HARNESS_ERRORS = (QmpError, OSError, DaemonUnavailable, KeyError, ValueError)


def parse_args(argv, registry):
    p = argparse.ArgumentParser(
        prog="bench/run",
        description="Run the same workloads against Fleece and qemu-storage-daemon, "
                    "alternating daemons round by round; print medians and Fleece/qsd ratios.")
    p.add_argument("workloads", nargs="*", metavar="WORKLOAD",
                   help="workloads to run (default: all): " + ", ".join(registry))
    p.add_argument("--rounds", type=int, help="rounds per daemon (default 5, --quick 2)")
    p.add_argument("--quick", action="store_true", help="less work per round (smoke test)")
    p.add_argument("--daemons", default="qsd,fleece",
                   help="comma-separated subset of qsd,fleece (default both)")
    p.add_argument("--qsd", default="qemu-storage-daemon", help="qsd binary")
    p.add_argument("--fleece", default=None, help="fleece launcher (default: <repo>/bin/fleece)")
    p.add_argument("--start-timeout", type=float, default=30.0,
                   help="seconds from exec to QMP greeting before a daemon counts as failed")
    p.add_argument("--build-timeout", type=float, default=600.0,
                   help="timeout of the first (unmeasured) start of each daemon, which may "
                        "include bin/fleece building itself (default 600 s)")
    p.add_argument("--no-ceiling", action="store_true",
                   help="skip the client-only ceiling check (against a trivial echo server)")
    p.add_argument("--list", action="store_true", help="list workloads and exit")
    a = p.parse_args(argv)
    for w in a.workloads:
        if w not in registry:
            p.error("unknown workload %r (have: %s)" % (w, ", ".join(registry)))
    a.daemons = [d.strip() for d in a.daemons.split(",") if d.strip()]
    for d in a.daemons:
        if d not in report.DAEMONS:
            p.error("unknown daemon %r" % d)
    if a.rounds is None:
        a.rounds = 2 if a.quick else 5
    if a.rounds < 1:
        p.error("--rounds must be >= 1")
    return a


def one(cls, kind, quick):
    """setup/run/teardown of one workload on one daemon -> (metrics, error)."""
    w = cls(quick=quick)
    try:
        w.setup(kind)
        return w.run(), None
    except HARNESS_ERRORS as e:
        return None, "%s: %s" % (type(e).__name__, e)
    finally:
        w.teardown()


def brief(metrics):
    return " ".join("%s=%s" % (k, report.fmt(v)) for k, v in metrics.items())


def host_meta():
    cpu = ""
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next((l.split(":", 1)[1].strip() for l in f if l.startswith("model name")), "")
    except OSError:
        pass
    with open("/proc/loadavg") as f:
        load1 = float(f.read().split()[0])
    return {"cpus": os.cpu_count(), "cpu": cpu, "kernel": platform.release(), "load1": load1,
            "python": platform.python_version()}


def client_ceiling(registry, quick):
    cls = registry["qmp-roundtrip"]
    m, err = one(cls, daemons.echo_kind(), quick)
    if err:
        print("client ceiling: ERROR %s" % err)
        return None
    print("client ceiling (client alone vs trivial echo server): %s" % brief(m))
    return m


def run_rounds(registry, selected, active, a):
    """Every round runs every workload on each daemon; -> (samples, errors)."""
    samples = {w: {d: [] for d in report.DAEMONS} for w in selected}
    errors = {w: {} for w in selected}
    for r in range(a.rounds):
        order = active if r % 2 == 0 else active[::-1]  # ABBA: no daemon always goes first
        for wname in selected:
            for kind in order:
                m, err = one(registry[wname], kind, a.quick)
                tag = "[%d/%d] %-14s %-6s" % (r + 1, a.rounds, wname, kind.name)
                if err:
                    errors[wname].setdefault(kind.name, []).append(err)
                    print("%s ERROR %s" % (tag, err))
                else:
                    samples[wname][kind.name].append(m)
                    print("%s %s" % (tag, brief(m)))
            sys.stdout.flush()
    return samples, errors


def main(argv=None):
    registry = discover()
    a = parse_args(sys.argv[1:] if argv is None else argv, registry)
    if a.list:
        for name, cls in registry.items():
            print("%-16s %s" % (name, cls.description))
        return 0
    selected = a.workloads or list(registry)
    all_kinds = daemons.kinds(a.qsd, a.fleece, a.start_timeout)
    meta = {"bench": "fleece-vs-qsd", "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "rounds": a.rounds, "quick": a.quick, "host": host_meta()}
    print("bench: rounds=%d%s workloads=%s load1=%.2f" % (
        a.rounds, " quick" if a.quick else "", ",".join(selected), meta["host"]["load1"]))

    unavailable = {}
    active = []
    for name in report.DAEMONS:
        kind = all_kinds[name]
        if name not in a.daemons:
            unavailable[name] = "not selected"
            print("%s: not selected" % name)
            continue
        # Unmeasured first start: absorbs a build, warms the page cache alike for both.
        took = kind.preflight(max(a.build_timeout, a.start_timeout))
        if took is not None:
            active.append(kind)
            print("%s: first start answered in %.2f s (unmeasured)" % (name, took))
        else:
            unavailable[name] = kind.unavailable
            print("%s: not available (%s)" % (name, kind.unavailable))
    if not active:
        print("no daemon available")
        return 2

    if "qmp-roundtrip" in selected and not a.no_ceiling:
        ceiling = client_ceiling(registry, a.quick)
        meta["client_ceiling"] = ({k: round(v, 1) for k, v in ceiling.items()}
                                  if ceiling else None)

    with page_reporting.held_off():
        samples, errors = run_rounds(registry, selected, active, a)

    summary = report.summarize(registry, selected, samples, errors, unavailable)
    print()
    print("Medians over %d round(s). F/q = Fleece/qsd; 'better' says which direction of the "
          "figure and of F/q is good." % a.rounds)
    print(report.table(summary, errors, unavailable))
    for name, reason in unavailable.items():
        if name == "fleece" and reason != "not selected":
            print("fleece: not available (%s)" % reason.splitlines()[0])
    ceiling = meta.get("client_ceiling")
    if ceiling:
        ceil = ceiling["ops_s"]
        print("client ceiling: %s ops/s vs a trivial echo server; client CPU %.1f us/op "
              "(=> client-only max ~%s ops/s)" % (report.fmt(ceil), ceiling["client_cpu_us"],
                                                   report.fmt(1e6 / ceiling["client_cpu_us"])))
        for d in report.DAEMONS:
            got = summary.get("qmp-roundtrip", {}).get("ops_s", {}).get(d)
            if got and got > 0.5 * ceil:
                print("WARNING: %s reaches %.0f%% of the client ceiling: the client may limit it"
                      % (d, 100.0 * got / ceil))
    print(report.json_line(meta, summary, errors, unavailable))
    return 1 if any(errors[w] for w in selected) else 0
