"""Workload registry: every module here defining `Workload` is one workload."""

import importlib
import pkgutil


def discover():
    """Return {name: Workload class}, in default run order."""
    found = []
    for info in pkgutil.iter_modules(__path__):
        if info.name.startswith("_"):
            continue
        mod = importlib.import_module("%s.%s" % (__name__, info.name))
        cls = getattr(mod, "Workload", None)
        if cls is not None and getattr(cls, "name", ""):
            found.append(cls)
    found.sort(key=lambda c: (c.order, c.name))
    return {c.name: c for c in found}
