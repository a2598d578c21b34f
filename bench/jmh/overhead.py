#!/usr/bin/env python3
"""Table of the graph's overhead over the bare file, from JMH's JSON result.

Benchmarks are named <case>_file / <case>_graph (DataPathBench); scores are
ns/op (average time). overhead = graph / file - 1; target: under 10%.
The +- figures are JMH's 99.9% confidence half-widths. met: "yes" when the
overhead is under 10%; "NO" when it is over 10% even with both intervals
taken in the graph's favour; "noise" when only the intervals decide (the
machine was too noisy for this run: run again or longer, e.g. -i 10 -f 2).
"""

import json
import sys

TARGET = 0.10
BYTES = {"4k": 4 << 10, "1m": 1 << 20}


def main(path):
    with open(path) as f:
        results = json.load(f)
    cases = {}
    for r in results:
        case, _, target = r["benchmark"].rsplit(".", 1)[1].rpartition("_")
        m = r["primaryMetric"]
        if m["scoreUnit"] != "ns/op":
            sys.exit("overhead.py: expected ns/op, got %s" % m["scoreUnit"])
        cases.setdefault(case, {})[target] = (m["score"], m["scoreError"])
    head = ("case", "file ns/op", "graph ns/op", "file MiB/s", "graph MiB/s", "overhead", "target", "met")
    rows = [head]
    failed = False
    for case, t in cases.items():
        if "file" not in t or "graph" not in t:
            rows.append((case, fmt(t.get("file")), fmt(t.get("graph")), "", "", "-", "<10%", "-"))
            continue
        (f, ferr), (g, gerr) = t["file"], t["graph"]
        size = next((b for k, b in BYTES.items() if case.lower().endswith(k)), None)
        over = g / f - 1
        if over < TARGET:
            met = "yes"
        elif ferr == ferr and gerr == gerr and (g - gerr) / (f + ferr) - 1 < TARGET:
            met = "noise"
        else:
            met = "NO"
        failed |= met == "NO"
        rows.append((case, fmt(t["file"]), fmt(t["graph"]),
                     mib(size, f), mib(size, g), "%+.1f%%" % (100 * over), "<10%",
                     met))
    widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
    print()
    print("Graph (raw over file node) vs bare FileChannel, same image; ns/op +- 99.9% CI")
    for j, r in enumerate(rows):
        print("  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths))))
        if j == 0:
            print("  ".join("-" * w for w in widths))
    return 1 if failed else 0


def fmt(score):
    if score is None:
        return "-"
    value, err = score
    return "%s +- %s" % (num(value), num(err))


def num(v):
    if v != v:  # NaN: one iteration, no error estimate
        return "?"
    return "{:,.0f}".format(v) if v >= 100 else "%.1f" % v


def mib(size, ns):
    return "" if size is None else "{:,.0f}".format(size / (ns * 1e-9) / (1 << 20))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
