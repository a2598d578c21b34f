"""The common interface of a workload.

A workload is one file in bench/workloads/ defining `class Workload(base.Workload)`:

    name, description, order       identity, help text, default run order
    metrics                        list of Metric: what run() returns
    setup(daemon)                  daemon is a DaemonKind; start what you need
                                   with self.start(daemon) (stopped by teardown)
    run() -> {metric key: number}  the measured part, once per round
    teardown()                     stop/clean up (the default stops self.start()'ed)

self.quick is True under --quick (do less work). One instance is created per
(round, daemon); the runner alternates daemons round by round.
"""


class Metric:
    """One reported figure.

    better: "higher" or "lower" (which direction of Fleece/qsd is good).
    target: optional Target, printed beside the figure.
    """

    def __init__(self, key, unit, better, target=None):
        self.key, self.unit, self.better, self.target = key, unit, better, target


class Target:
    """A goal for Fleece's figure.

    kind "ratio": fleece/qsd  <op> value;  kind "abs": fleece <op> value.
    text: the words printed beside the figure.
    """

    OPS = {"<": lambda a, b: a < b, "<=": lambda a, b: a <= b,
           ">": lambda a, b: a > b, ">=": lambda a, b: a >= b}

    def __init__(self, kind, op, value, text):
        self.kind, self.op, self.value, self.text = kind, op, value, text

    def met(self, fleece, qsd):
        """True/False, or None when it cannot be judged (missing figure)."""
        if fleece is None:
            return None
        if self.kind == "ratio":
            if not qsd:
                return None
            return self.OPS[self.op](fleece / qsd, self.value)
        return self.OPS[self.op](fleece, self.value)


class Workload:
    name = ""
    description = ""
    order = 100
    metrics = []

    def __init__(self, quick=False):
        self.quick = quick
        self._procs = []

    def start(self, daemon, extra_args=(), negotiate=True):
        """Start `daemon` (a DaemonKind); it is stopped by teardown()."""
        proc = daemon.start(extra_args, negotiate=negotiate)
        self._procs.append(proc)
        return proc

    def setup(self, daemon):
        self.daemon = daemon

    def run(self):
        raise NotImplementedError

    def teardown(self):
        while self._procs:
            self._procs.pop().stop()
