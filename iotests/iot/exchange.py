"""Protocol-test helpers: send raw input, print every reply it causes."""

import json

from .env import DEFAULT_TIMEOUT
from .output import DEFAULT_FILTERS, filter_paths, fmt, log, raw_text
from .qmp import QMPError

_sync_count = [0]


def sync(qmp, timeout=DEFAULT_TIMEOUT):
    """Send a marker request and return the raw messages that arrive before
    its response (which is checked and dropped). The marker is query-version
    with id "sync-N": answered in command mode, refused with the same id in
    negotiation mode. It only works if the server's parser is between
    values (or in error recovery) when the marker arrives."""
    _sync_count[0] += 1
    marker = 'sync-%d' % _sync_count[0]
    qmp.send({'execute': 'query-version', 'id': marker})
    lines = []
    while True:
        line = qmp.read_raw_line(timeout)
        msg = json.loads(line.decode('utf-8'))
        if isinstance(msg, dict) and msg.get('id') == marker:
            if not ('return' in msg or 'error' in msg):
                raise QMPError('bad marker response %r' % msg)
            return lines
        lines.append(line)


def exchange(qmp, data, show=None, raw=False, filters=DEFAULT_FILTERS):
    """Send raw data, print it (or show instead), then print every message
    the server sends in reply: parsed with sorted keys, or with raw the
    exact bytes. The connection must stay usable (see sync())."""
    if isinstance(data, str):
        data = data.encode('utf-8')
    log('>>> ' + (show if show is not None else raw_text(data)), filters=())
    qmp.send_raw(data)
    replies = sync(qmp)
    for line in replies:
        if raw:
            log('<<< ' + raw_text(line), filters=(filter_paths,))
        else:
            log('<<< ' + fmt(json.loads(line.decode('utf-8')), filters),
                filters=())
    return replies
