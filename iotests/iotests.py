"""Library for Fleece's iotest-style tests (Python 3 standard library only).

A test is a script that imports this module, drives a daemon over QMP and
prints what it observes through log()/qmp_log(); the runner (iotests/check)
compares that output with the golden file beside the script. See README.md.

The code lives in the iot package, one job per module:
  iot.env       mode, daemon binary, TEST_DIR/SOCK_DIR, notrun/fleece_only
  iot.output    log() and the filters
  iot.qmp       the QMP client
  iot.exchange  raw-input helpers for protocol tests (exchange, sync)
  iot.daemon    Daemon: start, connect, quit, kill
  iot.jobs      waiting for job statuses, printing job events
  iot.nbdraw    a bare NBD client for protocol tests (import it directly)
"""

from iot.env import (  # noqa: F401
    DEFAULT_TIMEOUT, QUIET_TIMEOUT, REPO, daemon_prog, debug, file_path,
    fleece_only, free_tcp_port, mode, notrun, run_program, sock_dir,
    sock_path, test_dir)
from iot.output import (  # noqa: F401
    DEFAULT_FILTERS, apply_filters, filter_children, filter_node_names, filter_paths,
    filter_timestamps, filter_version, fmt, log, log_raw, raw_text)
from iot.qmp import QMP, QMPClosed, QMPError, QMPTimeout  # noqa: F401
from iot.exchange import exchange, sync  # noqa: F401
from iot.daemon import Daemon  # noqa: F401
from iot.jobs import flush_events, log_events, wait_progress, wait_status  # noqa: F401
from iot.exports import remove_export  # noqa: F401
