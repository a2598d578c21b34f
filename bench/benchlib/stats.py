"""Small statistics helpers (no numpy)."""


def median(values):
    v = sorted(values)
    n = len(v)
    if n == 0:
        return None
    mid = n // 2
    return v[mid] if n % 2 else (v[mid - 1] + v[mid]) / 2


def percentile(values, p, presorted=False):
    """Nearest-rank percentile, p in [0, 100]."""
    v = values if presorted else sorted(values)
    if not v:
        return None
    k = max(0, min(len(v) - 1, int(round(p / 100.0 * len(v) + 0.5)) - 1))
    return v[k]
