"""QMP client over a UNIX or TCP socket."""

import json
import socket
import time

from .env import DEFAULT_TIMEOUT, QUIET_TIMEOUT, debug
from .output import DEFAULT_FILTERS, apply_filters, log


class QMPError(Exception):
    pass


class QMPTimeout(QMPError):
    pass


class QMPClosed(QMPError):
    pass


def _conv_keys(args):
    return {k.replace('_', '-'): v for k, v in args.items()}


class QMP:
    """A QMP client on a UNIX socket path or a (host, port) TCP address.

    Messages from the server are framed on CRLF; a line ending in a bare LF
    is a protocol error. Requests are sent as compact JSON with no trailing
    newline, as QEMU's Python client does. Responses are matched by order;
    events that arrive meanwhile are queued for get_events()/event_wait().
    """

    def __init__(self, address, name=None):
        self.address = address
        self.name = name or (address if isinstance(address, str)
                             else '%s:%d' % address)
        self.sock = None
        self.buf = b''
        self.events = []
        self.greeting = None
        self.eof = False

    # -- connection
    def connect(self, negotiate=True, greeting=True, timeout=DEFAULT_TIMEOUT):
        """Connect (retrying while the daemon starts listening), read the
        greeting and, by default, negotiate capabilities. With
        greeting=False, only connect (the caller reads what comes)."""
        deadline = time.monotonic() + timeout
        while True:
            if isinstance(self.address, str):
                s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            else:
                s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            try:
                s.connect(self.address)
                break
            except (ConnectionRefusedError, FileNotFoundError):
                s.close()
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        return self.adopt(s, negotiate, greeting, timeout)

    def adopt(self, sock, negotiate=True, greeting=True,
              timeout=DEFAULT_TIMEOUT):
        """Talk QMP over a socket connected elsewhere (e.g. accepted from a
        daemon whose chardev is in client mode); as connect() from there."""
        sock.settimeout(None)
        self.sock = sock
        self.buf = b''
        self.eof = False
        debug('%s: connected' % self.name)
        if not greeting:
            return None
        self.greeting = self.read_message(timeout=timeout)
        if negotiate:
            resp = self.cmd('qmp_capabilities')
            if resp != {'return': {}}:
                raise QMPError('negotiation failed: %r' % resp)
        return self.greeting

    def close(self):
        if self.sock:
            self.sock.close()
            self.sock = None
            debug('%s: closed' % self.name)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # -- raw I/O
    def send_raw(self, data):
        """Send bytes (or a str, encoded as UTF-8) exactly as given."""
        if isinstance(data, str):
            data = data.encode('utf-8')
        debug('%s >>> %r' % (self.name, data))
        self.sock.sendall(data)

    def send(self, msg):
        """Send a JSON value as compact JSON, without a trailing newline."""
        self.send_raw(json.dumps(msg, separators=(',', ':')))

    def _fill(self, deadline):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise QMPTimeout('%s: timed out waiting for data' % self.name)
        self.sock.settimeout(remaining)
        try:
            data = self.sock.recv(65536)
        except socket.timeout:
            raise QMPTimeout('%s: timed out waiting for data' % self.name)
        except ConnectionResetError:
            data = b''
        if not data:
            self.eof = True
            raise QMPClosed('%s: connection closed by the server' % self.name)
        self.buf += data

    def read_raw_line(self, timeout=DEFAULT_TIMEOUT):
        """Next raw message from the server, including its line ending."""
        deadline = time.monotonic() + timeout
        while b'\n' not in self.buf:
            self._fill(deadline)
        line, _, self.buf = self.buf.partition(b'\n')
        line += b'\n'
        debug('%s <<< %r' % (self.name, line))
        if not line.endswith(b'\r\n'):
            raise QMPError('%s: message not terminated by CRLF: %r'
                           % (self.name, line))
        return line

    def read_message(self, timeout=DEFAULT_TIMEOUT):
        """Next message (event or response) as a dict."""
        line = self.read_raw_line(timeout)
        return json.loads(line.decode('utf-8'))

    def read_available(self, timeout=QUIET_TIMEOUT):
        """Raw bytes that arrive within timeout (b'' if none).

        Does not consume past what is buffered: use to prove silence."""
        data, self.buf = self.buf, b''
        self.sock.settimeout(timeout)
        try:
            while True:
                more = self.sock.recv(65536)
                if not more:
                    self.eof = True
                    break
                data += more
                self.sock.settimeout(0.1)
        except socket.timeout:
            pass
        except ConnectionResetError:
            self.eof = True
        if data:
            debug('%s <<< %r' % (self.name, data))
        return data

    def wait_eof(self, timeout=DEFAULT_TIMEOUT):
        """Read until the server closes; returns the raw bytes read."""
        deadline = time.monotonic() + timeout
        data, self.buf = self.buf, b''
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise QMPTimeout('%s: connection not closed' % self.name)
            self.sock.settimeout(remaining)
            try:
                more = self.sock.recv(65536)
            except socket.timeout:
                continue
            except ConnectionResetError:
                more = b''
            if not more:
                self.eof = True
                return data
            data += more

    # -- commands
    def response(self, timeout=DEFAULT_TIMEOUT):
        """Next message that is not an event; events are queued."""
        while True:
            msg = self.read_message(timeout)
            if isinstance(msg, dict) and 'event' in msg:
                self.events.append(msg)
                continue
            return msg

    def request(self, msg, timeout=DEFAULT_TIMEOUT):
        """Send a whole request object (e.g. with 'id') and return the
        response."""
        self.send(msg)
        return self.response(timeout)

    def cmd(self, name, args=None, **kwargs):
        """Run a command; arguments from the dict args and/or keywords
        (with '_' in keyword names turned into '-'). Returns the response."""
        msg = {'execute': name}
        arguments = dict(args or {}, **_conv_keys(kwargs))
        if arguments:
            msg['arguments'] = arguments
        return self.request(msg)

    def qmp_log(self, name, args=None, filters=DEFAULT_FILTERS, **kwargs):
        """Like cmd(), printing the command and the response."""
        arguments = dict(args or {}, **_conv_keys(kwargs))
        log('{"execute": %s, "arguments": %s}'
            % (json.dumps(name),
               json.dumps(apply_filters(arguments, filters), sort_keys=True)),
            filters=())
        resp = self.cmd(name, arguments)
        log(resp, filters=filters)
        return resp

    def request_log(self, msg, filters=DEFAULT_FILTERS):
        """Send a whole request object, printing it and the response."""
        log(msg, filters=filters)
        resp = self.request(msg)
        log(resp, filters=filters)
        return resp

    # -- events
    def get_events(self, wait=False, timeout=QUIET_TIMEOUT):
        """Return and clear the queued events; with wait, first collect
        whatever arrives within timeout."""
        if wait:
            deadline = time.monotonic() + timeout
            try:
                while True:
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        break
                    msg = self.read_message(remaining)
                    if isinstance(msg, dict) and 'event' in msg:
                        self.events.append(msg)
                    else:
                        raise QMPError('unexpected message %r' % msg)
            except QMPTimeout:
                pass
        events, self.events = self.events, []
        return events

    def event_wait(self, name, timeout=DEFAULT_TIMEOUT):
        """Wait for the event name (removing it from the queue)."""
        for i, ev in enumerate(self.events):
            if ev.get('event') == name:
                return self.events.pop(i)
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise QMPTimeout('%s: no event %s' % (self.name, name))
            msg = self.read_message(remaining)
            if isinstance(msg, dict) and msg.get('event') == name:
                return msg
            if isinstance(msg, dict) and 'event' in msg:
                self.events.append(msg)
            else:
                raise QMPError('unexpected message %r' % msg)
