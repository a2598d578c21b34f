"""The QMP conversation bin/lib/train-aot-cache has with a daemon: a typical client's first commands, then quit."""
import socket
import sys
import time

path = sys.argv[1]
deadline = time.monotonic() + 30
while True:
    try:
        sock = socket.socket(socket.AF_UNIX)
        sock.connect(path)
        break
    except OSError:
        if time.monotonic() > deadline:
            sys.exit("train-aot-cache: the daemon did not open " + path)
        time.sleep(0.02)

sock.settimeout(60)
stream = sock.makefile("rb")


def exchange(text):
    sock.sendall(text.encode())
    return stream.readline()


stream.readline()
exchange('{"execute":"qmp_capabilities","arguments":{"enable":["oob"]}}')
for _ in range(200):
    exchange('{"execute":"query-version","id":1}')
exchange('{"execute":"query-commands"}')
exchange('{"execute":"query-qmp-schema"}')
exchange('{"execute":"query-chardev"}')
exchange('{"execute":"no-such-command"}')
exchange('{"execute":"query-version","arguments":{"x":1}}')
sock.sendall(b"{'execute': ")
exchange("'query-version'}")
sock.sendall(b'{"execute":"quit"}')
stream.read()
