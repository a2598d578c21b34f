"""Removing an export once its clients are gone."""

import time


def remove_export(q, export_id, timeout=10):
    """block-export-del in safe mode, then BLOCK_EXPORT_DELETED. A client
    process that has just exited may not have been noticed by the server
    yet (either daemon): "still in use" is retried until it has."""
    deadline = time.monotonic() + timeout
    while True:
        reply = q.cmd('block-export-del', id=export_id)
        error = reply.get('error', {}).get('desc', '')
        if 'still in use' not in error or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    if 'error' not in reply:
        q.event_wait('BLOCK_EXPORT_DELETED')
    return reply
