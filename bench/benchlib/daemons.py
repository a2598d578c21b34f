"""Daemon kinds (qsd, fleece, echo) and the lifecycle of one daemon process.

Every daemon is started with qemu-storage-daemon's own options:
  --chardev socket,path=P,server=on,wait=off,id=m0 --monitor chardev=m0
  --pidfile F
in its own process group, one at a time, and stopped with SIGTERM to that
group (SIGKILL after a grace period).
"""

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

from .qmp import QmpClient, QmpError, connect_polling

BENCH_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REPO_DIR = os.path.dirname(BENCH_DIR)
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
ERRORISH = re.compile(r"error|exception|fatal", re.I)


class DaemonUnavailable(Exception):
    pass


class DaemonKind:
    """How to start one kind of daemon; `argv` is the command before the options."""

    def __init__(self, name, argv, greeting_timeout=30.0):
        self.name = name
        self.argv = list(argv)
        self.greeting_timeout = greeting_timeout
        self.unavailable = None  # reason string once known to be unusable

    def check_executable(self):
        exe = self.argv[0]
        path = exe if os.sep in exe else shutil.which(exe)
        if not path or not os.path.exists(path):
            return "%s missing" % exe
        if not os.access(path, os.X_OK):
            return "%s not executable" % exe
        return None

    def launch(self, extra_args=()):
        """Exec the daemon; returns a DaemonProcess (not yet connected)."""
        return DaemonProcess(self, extra_args)

    def start(self, extra_args=(), negotiate=True):
        """Exec, connect, read the greeting and (by default) negotiate."""
        proc = self.launch(extra_args)
        try:
            proc.connect()
            if negotiate:
                proc.qmp.negotiate()
        except BaseException:
            proc.stop()
            raise
        return proc

    def preflight(self, timeout=None):
        """Start once, answer one query-version, stop. Sets self.unavailable on failure.

        `timeout` (s, default the kind's) may be longer than for measured starts:
        a first start may include a build (bin/fleece builds when sources changed).
        Returns the seconds from exec to greeting, or None on failure.
        """
        reason = self.check_executable()
        took = None
        if reason is None:
            proc = None
            try:
                proc = self.launch()
                proc.connect(timeout)
                took = proc.t_greeting - proc.t_exec
                proc.qmp.negotiate()
                proc.qmp.execute("query-version")
                proc.read_pid()
            except (QmpError, OSError, DaemonUnavailable) as e:
                reason = "failed to start: %s%s" % (e, proc.log_tail() if proc else "")
            finally:
                if proc:
                    proc.stop()
        self.unavailable = reason
        return took if reason is None else None


class DaemonProcess:
    def __init__(self, kind, extra_args=()):
        self.kind = kind
        self.dir = tempfile.mkdtemp(prefix="fb-%s-" % kind.name)
        self.socket_path = os.path.join(self.dir, "qmp.sock")
        self.pidfile = os.path.join(self.dir, "pid")
        self.logfile = os.path.join(self.dir, "log")
        self.qmp = None
        self.pid = None
        self.t_greeting = None
        args = [
            "--chardev", "socket,path=%s,server=on,wait=off,id=m0" % self.socket_path,
            "--monitor", "chardev=m0",
            "--pidfile", self.pidfile,
        ] + list(extra_args)
        self._log = open(self.logfile, "wb")
        self.t_exec = time.perf_counter()
        try:
            self.popen = subprocess.Popen(
                kind.argv + args, stdin=subprocess.DEVNULL, stdout=self._log,
                stderr=subprocess.STDOUT, start_new_session=True, cwd=REPO_DIR)
        except OSError as e:
            self._log.close()
            shutil.rmtree(self.dir, ignore_errors=True)
            raise DaemonUnavailable("cannot exec %s: %s" % (kind.argv[0], e)) from None

    def alive(self):
        return self.popen.poll() is None

    def connect(self, timeout=None):
        """Poll-connect to the QMP socket and read the greeting (timestamped)."""
        deadline = self.t_exec + (timeout or self.kind.greeting_timeout)
        sock = connect_polling(self.socket_path, deadline, self.alive)
        self.qmp = QmpClient(sock, timeout=max(1.0, deadline - time.perf_counter()))
        self.qmp.read_greeting()
        self.t_greeting = time.perf_counter()
        self.qmp.set_timeout(10.0)
        return self.qmp

    def read_pid(self, wait=2.0):
        """The daemon's PID from --pidfile (falls back to the exec'd PID)."""
        if self.pid is not None:
            return self.pid
        end = time.perf_counter() + wait
        while True:
            try:
                with open(self.pidfile) as f:
                    text = f.read().strip()
                if text:
                    self.pid = int(text)
                    break
            except (FileNotFoundError, ValueError):
                pass
            if time.perf_counter() > end:
                print("  warning: %s wrote no pidfile; using exec'd PID %d"
                      % (self.kind.name, self.popen.pid), file=sys.stderr)
                self.pid = self.popen.pid
                break
            time.sleep(0.005)
        if self.pid != self.popen.pid:
            print("  warning: %s did not exec the daemon (launched PID %d, pidfile PID %d)"
                  % (self.kind.name, self.popen.pid, self.pid), file=sys.stderr)
        return self.pid

    def _wait_group_gone(self, pgid, timeout):
        """Wait for the launched process and anything else in its group to exit."""
        end = time.perf_counter() + timeout
        while time.perf_counter() < end:
            if self.popen.poll() is not None:
                try:
                    os.killpg(pgid, 0)
                except ProcessLookupError:
                    return True
            time.sleep(0.01)
        return False

    def log_tail(self, n=6):
        """The daemon's output worth showing: its first error lines, else its last lines."""
        try:
            with open(self.logfile, "rb") as f:
                text = ANSI.sub("", f.read().decode(errors="replace"))
        except OSError:
            return ""
        lines = [l.rstrip() for l in text.splitlines() if l.strip()]
        errors = [l for l in lines if ERRORISH.search(l) and "[Help" not in l]
        pick = errors[:n] if errors else lines[-n:]
        return "" if not pick else "\n    " + "\n    ".join(pick)

    def stop(self, grace=5.0):
        if self.qmp:
            self.qmp.close()
            self.qmp = None
        pgid = self.popen.pid  # start_new_session: the group id is the launched PID
        for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 5.0)):
            try:
                os.killpg(pgid, sig)
            except ProcessLookupError:
                break
            if self._wait_group_gone(pgid, wait):
                break
        self.popen.poll()
        self._log.close()
        shutil.rmtree(self.dir, ignore_errors=True)


def kinds(qsd_path="qemu-storage-daemon", fleece_path=None, timeout=30.0):
    fleece_path = fleece_path or os.path.join(REPO_DIR, "bin", "fleece")
    return {
        "qsd": DaemonKind("qsd", [qsd_path], timeout),
        # JVM start can be slow on a cold cache: be generous, startup is measured anyway.
        "fleece": DaemonKind("fleece", [fleece_path], timeout),
    }


def echo_kind():
    """A trivial QMP echo server: measures the client's own ceiling."""
    return DaemonKind("echo", [sys.executable, os.path.join(BENCH_DIR, "benchlib", "echo_qmp.py")])
