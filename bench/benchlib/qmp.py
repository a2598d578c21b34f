"""Minimal, fast QMP client over a UNIX socket.

Raw socket, compact JSON requests without a trailing newline, responses
framed on CRLF (as QEMU sends them). The hot path (roundtrips) avoids JSON
parsing and keeps the socket blocking, with a kernel receive timeout
(SO_RCVTIMEO) so that a hung daemon cannot hang the harness forever.
"""

import json
import socket
import struct
import time

CRLF = b"\r\n"


class QmpError(Exception):
    pass


class QmpClient:
    def __init__(self, sock, timeout=10.0):
        self.sock = sock
        self.buf = b""
        self.greeting = None
        self.set_timeout(timeout)

    def set_timeout(self, seconds):
        # Blocking socket + SO_RCVTIMEO: no poll() per recv as settimeout() would add.
        self.sock.settimeout(None)
        sec = int(seconds)
        usec = int((seconds - sec) * 1e6)
        tv = struct.pack("ll", sec, usec)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, tv)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, tv)

    def _recv(self):
        try:
            data = self.sock.recv(65536)
        except BlockingIOError:
            raise QmpError("timeout waiting for the daemon") from None
        if not data:
            raise QmpError("connection closed by the daemon")
        return data

    def read_line(self):
        while True:
            i = self.buf.find(CRLF)
            if i >= 0:
                line, self.buf = self.buf[:i], self.buf[i + 2:]
                if line.strip():
                    return line
                continue
            self.buf += self._recv()

    def read_message(self):
        return json.loads(self.read_line())

    def read_greeting(self):
        msg = self.read_message()
        if "QMP" not in msg:
            raise QmpError("expected QMP greeting, got %r" % (msg,))
        self.greeting = msg
        return msg

    def execute(self, command, arguments=None):
        req = {"execute": command}
        if arguments is not None:
            req["arguments"] = arguments
        self.sock.sendall(json.dumps(req, separators=(",", ":")).encode())
        while True:
            msg = self.read_message()
            if "event" in msg:
                continue
            if "error" in msg:
                raise QmpError("%s: %s" % (command, msg["error"]))
            return msg.get("return")

    def negotiate(self):
        if self.greeting is None:
            self.read_greeting()
        self.execute("qmp_capabilities")

    def roundtrips(self, request, n, latencies=None):
        """Send `request` (bytes) n times sequentially, waiting for each reply.

        Returns the list of per-round-trip latencies in ns (appended to
        `latencies` if given). Replies must be successful ("return");
        asynchronous events in between are skipped.
        """
        if self.buf:
            raise QmpError("unread data before round trips: %r" % self.buf[:200])
        lat = [] if latencies is None else latencies
        append = lat.append
        sendall = self.sock.sendall
        recv = self.sock.recv
        clock = time.perf_counter_ns
        for _ in range(n):
            t0 = clock()
            sendall(request)
            data = recv(65536)
            while not data.endswith(CRLF):
                more = recv(65536)
                if not more:
                    raise QmpError("connection closed by the daemon")
                data += more
            t1 = clock()
            append(t1 - t0)
            if data.count(CRLF) != 1 or b'"return"' not in data:
                self._slow_reply(data)
        return lat

    def _slow_reply(self, data):
        """Reply chunk with events or errors: keep reading until exactly one return."""
        pending = data
        while True:
            lines = [l for l in pending.split(CRLF)]
            tail = lines.pop()  # b"" if pending ended on CRLF
            for line in lines:
                if not line.strip():
                    continue
                msg = json.loads(line)
                if "event" in msg:
                    continue
                if "error" in msg:
                    raise QmpError("error reply: %s" % (msg["error"],))
                if "return" in msg:
                    self.buf = tail
                    if tail:
                        raise QmpError("unexpected data after reply: %r" % tail[:200])
                    return
            pending = tail + self._recv()

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def connect_polling(path, deadline, alive=lambda: True, pause=0.0005):
    """Connect to a UNIX socket, retrying until it exists and accepts.

    Polls in a tight loop (sleeping `pause` s between tries so that the
    poller does not steal a whole core from the starting daemon). Returns
    the connected socket, or raises QmpError at `deadline` (perf_counter
    time) or when alive() turns false.
    """
    while True:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            s.connect(path)
            return s
        except (FileNotFoundError, ConnectionRefusedError):
            s.close()
        if not alive():
            raise QmpError("daemon exited before accepting connections")
        if time.perf_counter() > deadline:
            raise QmpError("no QMP socket at %s before timeout" % path)
        time.sleep(pause)
