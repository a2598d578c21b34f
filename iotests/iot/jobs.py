"""Helpers for tests of jobs: waiting for a job's status while printing the
events on the way, without the pause/resume pairs that QEMU's drained
sections add around many commands (Fleece drains less often)."""

from iot.output import log


def drop_drain_pairs(events):
    """Remove JOB_STATUS_CHANGE paused immediately followed by running (or
    standby then ready) of the same job: a drained section, not a client's
    pause."""
    out = []
    for e in events:
        if (out and e.get('event') == 'JOB_STATUS_CHANGE'
                and out[-1].get('event') == 'JOB_STATUS_CHANGE'
                and out[-1]['data']['id'] == e['data']['id']
                and (out[-1]['data']['status'], e['data']['status'])
                in (('paused', 'running'), ('standby', 'ready'))):
            out.pop()
            continue
        out.append(e)
    return out


def log_events(events):
    for e in drop_drain_pairs(events):
        log(e)


def _is_status(e, job, status):
    return (e.get('event') == 'JOB_STATUS_CHANGE'
            and e['data'] == {'id': job, 'status': status})


def wait_status(q, job, status, show=True, also=()):
    """Collect events in order until JOB_STATUS_CHANGE {job, status} (and
    every (job, status) in also) was seen; print them. Events after it stay
    queued."""
    pending = q.get_events()
    seen = []
    wanted = {(job, status)} | set(also)
    while True:
        while pending:
            e = pending.pop(0)
            seen.append(e)
            wanted = {(j, s) for j, s in wanted if not _is_status(e, j, s)}
            if not wanted:
                q.events = pending + q.events
                if show:
                    log_events(seen)
                return seen
        msg = q.read_message()
        if isinstance(msg, dict) and 'event' in msg:
            pending.append(msg)


def flush_events(q, show=True):
    """Print the events already received (and any arriving within 0.5 s)."""
    events = q.get_events(wait=True)
    if show:
        log_events(events)
    return events


def wait_progress(q, job, offset, timeout=10):
    """Poll query-jobs until the job has copied offset bytes (a job held by
    its speed limit after its first chunk)."""
    import time
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for info in q.cmd('query-jobs')['return']:
            if info['id'] == job and info['current-progress'] >= offset:
                return
        time.sleep(0.02)
    raise Exception('job %s did not reach %d' % (job, offset))
