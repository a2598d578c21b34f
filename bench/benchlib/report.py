"""Final table and machine-readable JSON line."""

import json

from .stats import median

DAEMONS = ("qsd", "fleece")


def fmt(v):
    if v is None:
        return "-"
    if isinstance(v, int) or abs(v) >= 1000 or float(v).is_integer():
        return "{:,.0f}".format(v)
    if abs(v) >= 100:
        return "%.0f" % v
    if abs(v) >= 10:
        return "%.1f" % v
    return "%.2f" % v


def summarize(registry, selected, samples, errors, unavailable):
    """-> {workload: {metric: {...medians, ratio, target, met...}}}"""
    out = {}
    for name in selected:
        cls = registry[name]
        rows = {}
        for m in cls.metrics:
            row = {"unit": m.unit, "better": m.better}
            for d in DAEMONS:
                vals = [s[m.key] for s in samples[name][d] if s.get(m.key) is not None]
                row[d] = median(vals) if vals else None
                row[d + "_n"] = len(vals)
                row[d + "_range"] = [min(vals), max(vals)] if vals else None
            q, f = row["qsd"], row["fleece"]
            row["ratio"] = f / q if (f is not None and q) else None
            row["target"] = m.target.text if m.target else None
            row["met"] = m.target.met(f, q) if m.target else None
            rows[m.key] = row
        out[name] = rows
    return out


def cell(row, d, unavailable, errors_for):
    if row[d] is not None:
        return fmt(row[d])
    if d in unavailable:
        return "n/a"
    return "ERR" if errors_for.get(d) else "-"


def table(summary, errors, unavailable):
    head = ("workload", "metric", "unit", "qsd", "fleece", "F/q", "better", "target (Fleece)", "met")
    lines = [head]
    for name, rows in summary.items():
        first = True
        for key, row in rows.items():
            met = {True: "yes", False: "NO", None: "-" if row["target"] else ""}[row["met"]]
            lines.append((
                name if first else "", key, row["unit"],
                cell(row, "qsd", unavailable, errors.get(name, {})),
                cell(row, "fleece", unavailable, errors.get(name, {})),
                "-" if row["ratio"] is None else "%.2f" % row["ratio"],
                row["better"],
                row["target"] or "", met))
            first = False
    widths = [max(len(str(l[i])) for l in lines) for i in range(len(head))]
    right = {3, 4, 5}
    out = []
    for j, l in enumerate(lines):
        out.append("  ".join(str(c).rjust(w) if i in right else str(c).ljust(w)
                             for i, (c, w) in enumerate(zip(l, widths))).rstrip())
        if j == 0:
            out.append("  ".join("-" * w for w in widths))
    return "\n".join(out)


def json_line(meta, summary, errors, unavailable):
    def r(v):
        return None if v is None else (round(v, 3) if isinstance(v, float) else v)
    res = {}
    for name, rows in summary.items():
        res[name] = {}
        for key, row in rows.items():
            res[name][key] = {
                "unit": row["unit"], "better": row["better"],
                "qsd": r(row["qsd"]), "fleece": r(row["fleece"]), "ratio": r(row["ratio"]),
                "qsd_range": [r(x) for x in row["qsd_range"]] if row["qsd_range"] else None,
                "fleece_range": [r(x) for x in row["fleece_range"]] if row["fleece_range"] else None,
                "target": row["target"], "met": row["met"],
            }
    doc = dict(meta)
    doc["unavailable"] = unavailable
    doc["errors"] = {w: e for w, e in errors.items() if e}
    doc["results"] = res
    return json.dumps(doc, separators=(",", ":"), sort_keys=False)
