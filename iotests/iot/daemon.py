"""Starting and stopping bin/fleece or qemu-storage-daemon."""

import atexit
import os
import signal
import subprocess
import time

from .env import (daemon_prog, debug, file_path, free_tcp_port, sock_path,
                  test_dir)
from .qmp import QMP, QMPError, QMPTimeout


_daemons = []
_PIDS_FILE = os.path.join(test_dir, '.daemon-pids')


def _record_pid(pid):
    """The runner kills what is left of these after the test."""
    with open(_PIDS_FILE, 'a') as f:
        f.write('%d\n' % pid)


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie child counts as gone.
    try:
        with open('/proc/%d/stat' % pid) as f:
            return f.read().rsplit(')', 1)[1].split()[0] != 'Z'
    except OSError:
        return False


class Daemon:
    """bin/fleece or qemu-storage-daemon, started with the same arguments.

    Monitors are added before launch(); by default there is one UNIX monitor
    'm0' at SOCK_DIR/m0.sock. Use as a context manager (or rely on the
    atexit hook) so that the process is killed even if the test fails.
    """

    def __init__(self, name='d0', monitor=True, args=(), pidfile=False,
                 daemonize=False, prog=None):
        """prog: another daemon binary than the one under test (e.g. a
        qemu-storage-daemon that holds images the tested daemon must
        respect)."""
        self.name = name
        self.prog = prog or daemon_prog
        self.monitors = {}          # id -> address
        self.extra_args = list(args)
        self.pidfile = file_path(name + '.pid') if pidfile or daemonize \
            else None
        self.daemonize = daemonize
        self.proc = None
        self.pid = None
        self.exitcode = None
        self.clients = []
        self.logfile = file_path(name + '.log')
        if monitor:
            self.add_monitor('m0')
        _daemons.append(self)

    def add_monitor(self, mon_id, tcp=False, pretty=False):
        """A socket chardev plus a QMP monitor on it; returns the address."""
        if tcp:
            addr = ('127.0.0.1', free_tcp_port())
            chardev = 'socket,host=%s,port=%d' % addr
        else:
            addr = sock_path('%s-%s.sock' % (self.name, mon_id))
            chardev = 'socket,path=%s' % addr
        self.monitors[mon_id] = (addr, chardev + ',server=on,wait=off,id=' +
                                 mon_id, pretty)
        return addr

    def address(self, mon_id='m0'):
        return self.monitors[mon_id][0]

    def args(self):
        args = []
        for mon_id, (addr, chardev, pretty) in self.monitors.items():
            args += ['--chardev', chardev, '--monitor',
                     'chardev=%s%s' % (mon_id, ',pretty=on' if pretty else '')]
        if self.pidfile:
            args += ['--pidfile', self.pidfile]
        args += self.extra_args
        if self.daemonize:
            args += ['--daemonize']
        return args

    def launch(self, wait=True):
        cmdline = [self.prog] + self.args()
        debug('%s: launch %s' % (self.name, ' '.join(cmdline)))
        log_f = open(self.logfile, 'ab')
        try:
            self.proc = subprocess.Popen(cmdline, stdin=subprocess.DEVNULL,
                                         stdout=log_f, stderr=log_f)
        finally:
            log_f.close()
        _record_pid(self.proc.pid)
        if self.daemonize:
            # The parent returns once the daemon is ready.
            self.parent_exitcode = self.proc.wait(timeout=60)
            if self.parent_exitcode != 0:
                raise QMPError('%s: --daemonize exited with %d: %s'
                               % (self.name, self.parent_exitcode,
                                  self.get_log()))
            with open(self.pidfile) as f:
                self.pid = int(f.read().strip())
            _record_pid(self.pid)
        else:
            self.pid = self.proc.pid
        if wait:
            self.wait_ready()
        return self

    def wait_ready(self, timeout=60):
        """Wait until every UNIX monitor socket exists (TCP monitors are
        retried by connect())."""
        deadline = time.monotonic() + timeout
        for addr, _, _ in self.monitors.values():
            if not isinstance(addr, str):
                continue
            while not os.path.exists(addr):
                if not self.is_running():
                    raise QMPError('%s exited early (status %s): %s'
                                   % (self.name, self.exitcode, self.get_log()))
                if time.monotonic() > deadline:
                    raise QMPError('%s: %s did not appear' % (self.name, addr))
                time.sleep(0.02)

    def is_running(self):
        if self.proc and self.pid == self.proc.pid:
            if self.proc.poll() is None:
                return True
            self.exitcode = self.proc.returncode
            return False
        return self.pid is not None and _alive(self.pid)

    def client(self, mon_id='m0'):
        """An unconnected QMP client for a monitor."""
        c = QMP(self.address(mon_id), name='%s/%s' % (self.name, mon_id))
        self.clients.append(c)
        return c

    def connect(self, mon_id='m0', negotiate=True, greeting=True):
        """A connected (and by default negotiated) QMP client."""
        c = self.client(mon_id)
        c.connect(negotiate=negotiate and greeting, greeting=greeting)
        return c

    def wait(self, timeout=30):
        """Wait for the process to exit; returns its exit status (None for a
        daemonized process, whose status cannot be collected)."""
        deadline = time.monotonic() + timeout
        if self.proc and self.pid == self.proc.pid:
            try:
                self.exitcode = self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                raise QMPTimeout('%s did not exit' % self.name)
            return self.exitcode
        while _alive(self.pid):
            if time.monotonic() > deadline:
                raise QMPTimeout('%s did not exit' % self.name)
            time.sleep(0.02)
        return None

    def shutdown(self, qmp=None, timeout=30):
        """quit over QMP, wait for the exit (kill after timeout). Returns the
        exit status. Uses qmp if given, else closes our clients (whatever
        state they left their monitor in) and quits over a new connection
        to the first monitor."""
        if not self.is_running():
            return self.exitcode
        try:
            if qmp is None:
                self.close_clients()
                qmp = self.connect(next(iter(self.monitors)))
            resp = qmp.cmd('quit')
            if resp != {'return': {}}:
                raise QMPError('quit failed: %r' % resp)
            return self.wait(timeout)
        except Exception:
            self.kill()
            raise
        finally:
            self.close_clients()

    def close_clients(self):
        for c in self.clients:
            c.close()

    def kill(self):
        self.close_clients()
        if self.pid and self.is_running():
            try:
                os.kill(self.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if self.proc:
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass

    def get_log(self):
        try:
            with open(self.logfile, errors='replace') as f:
                return f.read()
        except OSError:
            return ''

    def __enter__(self):
        return self

    def __exit__(self, exc_type, *exc):
        if exc_type is None:
            self.shutdown()
        else:
            self.kill()


def _cleanup():
    for d in _daemons:
        try:
            d.kill()
        except Exception:
            pass


# Registered after env's hook, so it runs first: daemons die before their
# directories are removed.
atexit.register(_cleanup)
