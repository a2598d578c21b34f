"""Printing what a test observes: log() and the filters that mask what
legitimately differs between runs and between the two daemons."""

import json
import re
import sys

from .env import sock_dir, test_dir


def _walk(obj, fn):
    """Apply fn to every string in obj (dicts, lists, keys untouched)."""
    if isinstance(obj, dict):
        return {k: _walk(v, fn) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_walk(v, fn) for v in obj]
    if isinstance(obj, str):
        return fn(obj)
    return obj


def filter_paths(obj):
    def fn(s):
        for path, name in sorted(((sock_dir, 'SOCK_DIR'),
                                  (test_dir, 'TEST_DIR')),
                                 key=lambda p: -len(p[0])):
            s = s.replace(path, name)
        return s
    return _walk(obj, fn)


def filter_node_names(obj):
    return _walk(obj, lambda s: re.sub(r'#block[0-9]+', 'NODE_NAME', s))


def filter_timestamps(obj):
    """Event timestamps -> {"microseconds": "USECS", "seconds": "SECS"}."""
    if isinstance(obj, list):
        return [filter_timestamps(v) for v in obj]
    if not isinstance(obj, dict):
        return obj
    out = {k: filter_timestamps(v) for k, v in obj.items()}
    ts = out.get('timestamp')
    if (isinstance(ts, dict) and set(ts) == {'seconds', 'microseconds'}
            and all(type(v) is int for v in ts.values())):
        out['timestamp'] = {'microseconds': 'USECS', 'seconds': 'SECS'}
    return out


def filter_version(obj):
    """VersionInfo: keep major/minor, hide micro and the package string.

    qemu-storage-daemon here reports 7.2.22 with a Debian package string,
    Fleece reports 7.2.0 with a package naming Fleece. Values of the wrong
    type are left alone so that the golden still catches them.
    """
    if isinstance(obj, list):
        return [filter_version(v) for v in obj]
    if not isinstance(obj, dict):
        return obj
    out = {k: filter_version(v) for k, v in obj.items()}
    q = out.get('qemu')
    if set(out) == {'qemu', 'package'} and isinstance(q, dict):
        if type(q.get('micro')) is int:
            out['qemu'] = dict(q, micro='MICRO')
        if isinstance(out['package'], str):
            out['package'] = 'PACKAGE'
    return out


def filter_children(obj):
    """Drops BlockDeviceInfo's "children", which Fleece reports as upstream
    QEMU does and qemu-storage-daemon 7.2 does not know."""
    if isinstance(obj, list):
        return [filter_children(v) for v in obj]
    if not isinstance(obj, dict):
        return obj
    return {k: filter_children(v) for k, v in obj.items()
            if not (k == 'children' and 'drv' in obj and 'node-name' in obj)}


DEFAULT_FILTERS = (filter_timestamps, filter_version, filter_paths,
                   filter_node_names, filter_children)


def apply_filters(obj, filters):
    for f in filters:
        obj = f(obj)
    return obj


def log(msg, filters=DEFAULT_FILTERS, indent=None):
    """Print strings as they are, dicts and lists as JSON with sorted keys."""
    msg = apply_filters(msg, filters)
    if isinstance(msg, (dict, list)):
        print(json.dumps(msg, sort_keys=True, indent=indent))
    else:
        print(msg)
    sys.stdout.flush()


def raw_text(data):
    """Render raw bytes for a golden file: printable ASCII as is, the rest
    as \\r, \\n, \\xNN (so CRLF endings are visible)."""
    out = []
    for b in data:
        if b == 0x0d:
            out.append('\\r')
        elif b == 0x0a:
            out.append('\\n')
        elif b == 0x5c:
            out.append('\\\\')
        elif 0x20 <= b < 0x7f:
            out.append(chr(b))
        else:
            out.append('\\x%02x' % b)
    return ''.join(out)


def log_raw(data, filters=(filter_paths,)):
    """Log raw bytes from the wire (see raw_text), filtering paths."""
    log(raw_text(data), filters=filters)


def fmt(obj, filters=DEFAULT_FILTERS):
    """One JSON line with sorted keys, after filters."""
    return json.dumps(apply_filters(obj, filters), sort_keys=True)
