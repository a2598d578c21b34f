#!/usr/bin/env python3
"""Trivial QMP "echo" server used to measure the benchmark client's ceiling.

Accepts qemu-storage-daemon's options (only --chardev ...path=P... and
--pidfile F matter), sends a greeting, and answers every request with a
canned reply of the same size as qsd's query-version reply, without parsing.
Its rate is a lower bound for what the client alone can do.
"""

import os
import socket
import sys

GREETING = (b'{"QMP": {"version": {"qemu": {"micro": 0, "minor": 2, "major": 7}, '
            b'"package": ""}, "capabilities": ["oob"]}}\r\n')
REPLY = (b'{"return": {"qemu": {"micro": 22, "minor": 2, "major": 7}, '
         b'"package": "Debian 1:7.2+dfsg-7+deb12u18+b3"}}\r\n')


def parse(argv):
    path = pidfile = None
    for i, a in enumerate(argv):
        if a == "--chardev":
            for kv in argv[i + 1].split(","):
                if kv.startswith("path="):
                    path = kv[5:]
        elif a == "--pidfile":
            pidfile = argv[i + 1]
    if not path:
        sys.exit("echo_qmp: need --chardev socket,path=P")
    return path, pidfile


def serve(conn):
    conn.sendall(GREETING)
    recv, sendall = conn.recv, conn.sendall
    while True:
        data = recv(65536)
        if not data:
            return
        n = data.count(b'"execute"')
        if n:
            sendall(REPLY * n)


def main():
    path, pidfile = parse(sys.argv[1:])
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(path)
    srv.listen(1)
    if pidfile:
        with open(pidfile, "w") as f:
            f.write("%d\n" % os.getpid())
    while True:
        conn, _ = srv.accept()
        try:
            serve(conn)
        except OSError:
            pass
        finally:
            conn.close()


if __name__ == "__main__":
    main()
