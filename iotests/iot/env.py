"""Test environment: mode, daemon binary, scratch directories, debug trace,
not-run handling. Set up by iotests/check through environment variables:

  IOTESTS_MODE       "fleece" (bin/fleece) or "reference" (qemu-storage-daemon)
  IOTESTS_DAEMON     the daemon binary to start
  TEST_DIR           scratch directory, fresh for each test
  SOCK_DIR           short directory for UNIX sockets, fresh for each test
  IOTESTS_DEBUG_LOG  if set, QMP traffic is traced into that file
  IOTESTS_TIMEOUT    seconds to wait for one QMP message (default 10)

A script started by hand gets temporary directories of its own (removed at
exit) and fleece mode unless IOTESTS_MODE says otherwise.
"""

import atexit
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REPO = os.path.dirname(HERE)

mode = os.environ.get('IOTESTS_MODE', 'fleece')
if mode not in ('fleece', 'reference'):
    raise SystemExit('IOTESTS_MODE must be fleece or reference, not %r' % mode)


def _default_daemon():
    if mode == 'reference':
        return os.environ.get('QSD_PROG', 'qemu-storage-daemon')
    return os.environ.get('FLEECE_BIN', os.path.join(REPO, 'bin', 'fleece'))


daemon_prog = os.environ.get('IOTESTS_DAEMON') or _default_daemon()

_own_dirs = []


def _scratch(var, prefix):
    path = os.environ.get(var)
    if not path:
        path = tempfile.mkdtemp(prefix=prefix, dir='/tmp')
        _own_dirs.append(path)
        os.environ[var] = path
    return os.path.realpath(path)


test_dir = _scratch('TEST_DIR', 'iot-')
sock_dir = _scratch('SOCK_DIR', 'ios-')

_debug_path = os.environ.get('IOTESTS_DEBUG_LOG')
_debug_file = open(_debug_path, 'a', buffering=1) if _debug_path else None

DEFAULT_TIMEOUT = float(os.environ.get('IOTESTS_TIMEOUT', '10'))
# How long to listen to make sure that nothing arrives.
QUIET_TIMEOUT = 0.5


def debug(text):
    if _debug_file:
        _debug_file.write('%.3f %s\n' % (time.monotonic(), text))


def notrun(reason):
    """Stop the test here; the runner reports it as not run (skipped)."""
    with open(os.path.join(test_dir, '.notrun'), 'w') as f:
        f.write(reason + '\n')
    if _own_dirs:               # started by hand, not by the runner
        print('not run: ' + reason)
    sys.exit(0)


def fleece_only(reason):
    """Declare that the test checks behaviour beyond qemu-storage-daemon."""
    if mode != 'fleece':
        notrun('fleece only: ' + reason)


def file_path(name):
    return os.path.join(test_dir, name)


def sock_path(name):
    return os.path.join(sock_dir, name)


def free_tcp_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def run_program(args, timeout=60):
    """Run a command; returns (exit status, stdout, stderr) as text."""
    p = subprocess.run(args, stdin=subprocess.DEVNULL, capture_output=True,
                       timeout=timeout)
    return (p.returncode, p.stdout.decode('utf-8', 'replace'),
            p.stderr.decode('utf-8', 'replace'))


def _cleanup():
    if _debug_file:
        _debug_file.close()
    for path in _own_dirs:
        shutil.rmtree(path, ignore_errors=True)


atexit.register(_cleanup)


def _on_signal(signum, frame):
    sys.exit(128 + signum)


# SIGTERM runs the atexit hooks too, so daemons get killed.
signal.signal(signal.SIGTERM, _on_signal)
