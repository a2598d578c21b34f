"""A bare NBD client for protocol tests: it sends exactly the bytes a test
asks for and decodes what comes back, including what libnbd would refuse to
send or hide (bad magic, unknown options, error messages, chunk types)."""

import socket
import struct

NBDMAGIC = 0x4e42444d41474943
IHAVEOPT = 0x49484156454F5054
REPLY_MAGIC = 0x3e889045565a9
REQUEST_MAGIC = 0x25609513
SIMPLE_MAGIC = 0x67446698
STRUCTURED_MAGIC = 0x668e33ef

OPT_NAMES = {1: 'EXPORT_NAME', 2: 'ABORT', 3: 'LIST', 4: 'PEEK_EXPORT',
             5: 'STARTTLS', 6: 'INFO', 7: 'GO', 8: 'STRUCTURED_REPLY',
             9: 'LIST_META_CONTEXT', 10: 'SET_META_CONTEXT'}
REP_NAMES = {1: 'ACK', 2: 'SERVER', 3: 'INFO', 4: 'META_CONTEXT',
             0x80000001: 'ERR_UNSUP', 0x80000002: 'ERR_POLICY',
             0x80000003: 'ERR_INVALID', 0x80000004: 'ERR_PLATFORM',
             0x80000005: 'ERR_TLS_REQD', 0x80000006: 'ERR_UNKNOWN',
             0x80000007: 'ERR_SHUTDOWN', 0x80000008: 'ERR_BLOCK_SIZE_REQD',
             0x80000009: 'ERR_TOO_BIG'}
CHUNK_NAMES = {0: 'NONE', 1: 'OFFSET_DATA', 2: 'OFFSET_HOLE',
               5: 'BLOCK_STATUS', 32769: 'ERROR', 32770: 'ERROR_OFFSET'}


class Closed(Exception):
    pass


class Client:
    """One connection; greeting() then options, or export_name()/go()
    then requests. Every read waits at most `timeout` seconds."""

    def __init__(self, path, timeout=10):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        self.sock.connect(path)

    def close(self):
        self.sock.close()

    def recv(self, n):
        data = b''
        while len(data) < n:
            chunk = self.sock.recv(n - len(data))
            if not chunk:
                raise Closed('connection closed after %d of %d bytes'
                             % (len(data), n))
            data += chunk
        return data

    def closed(self):
        """True if the server closed the connection (nothing else arrives)."""
        try:
            return self.sock.recv(1) == b''
        except ConnectionResetError:
            return True
        except socket.timeout:
            return False

    def greeting(self, client_flags=3):
        magic, opt, flags = struct.unpack('>QQH', self.recv(18))
        self.sock.sendall(struct.pack('>I', client_flags))
        return magic == NBDMAGIC and opt == IHAVEOPT, flags

    def send_option(self, opt, data=b'', length=None, magic=IHAVEOPT):
        self.sock.sendall(struct.pack('>QII', magic, opt,
                                      len(data) if length is None else length)
                          + data)

    def read_reply(self):
        magic, opt, rtype, length = struct.unpack('>QIII', self.recv(20))
        assert magic == REPLY_MAGIC, hex(magic)
        return opt, rtype, self.recv(length)

    def option(self, opt, data=b''):
        """Sends an option and returns its replies up to the final one."""
        self.send_option(opt, data)
        replies = []
        while True:
            o, rtype, payload = self.read_reply()
            replies.append((rtype, payload))
            if rtype != 2 and rtype != 3 and rtype != 4:
                return replies

    def export_name(self, name, no_zeroes=True):
        self.send_option(1, name.encode())
        size, flags = struct.unpack('>QH', self.recv(10))
        if not no_zeroes:
            self.recv(124)
        return size, flags

    def go(self, name, structured=True, contexts=()):
        if structured:
            self.option(8)
        if contexts:
            self.option(10, meta_data(name, contexts))
        replies = self.option(7, info_data(name, ()))
        assert replies[-1][0] == 1, replies
        for rtype, payload in replies:
            if rtype == 3 and struct.unpack('>H', payload[:2])[0] == 0:
                return struct.unpack('>QH', payload[2:12])

    def request(self, cmd, offset=0, length=0, flags=0, handle=1, data=b'',
                magic=REQUEST_MAGIC):
        self.sock.sendall(struct.pack('>IHHQQI', magic, flags, cmd, handle,
                                      offset, length) + data)

    def simple_reply(self, length=0):
        """(error, handle, data) of a simple reply; data only when error is 0."""
        magic, error, handle = struct.unpack('>IIQ', self.recv(16))
        assert magic == SIMPLE_MAGIC, hex(magic)
        return error, handle, (self.recv(length) if error == 0 else b'')

    def chunk(self):
        """(flags, type name, handle, payload) of one structured chunk; a
        simple reply (servers may send one for requests without data even
        with structured replies) comes as (1, 'SIMPLE', handle, error)."""
        magic = struct.unpack('>I', self.recv(4))[0]
        if magic == SIMPLE_MAGIC:
            error, handle = struct.unpack('>IQ', self.recv(12))
            return 1, 'SIMPLE', handle, error
        assert magic == STRUCTURED_MAGIC, hex(magic)
        flags, ctype, handle, length = struct.unpack('>HHQI', self.recv(16))
        return flags, CHUNK_NAMES.get(ctype, ctype), handle, self.recv(length)

    def chunks(self):
        """The chunks of one reply, up to the one flagged DONE."""
        result = []
        while True:
            c = self.chunk()
            result.append(c)
            if c[0] & 1:
                return result


def info_data(name, requests):
    n = name.encode()
    return (struct.pack('>I', len(n)) + n + struct.pack('>H', len(requests))
            + b''.join(struct.pack('>H', r) for r in requests))


def meta_data(name, queries):
    n = name.encode()
    data = struct.pack('>I', len(n)) + n + struct.pack('>I', len(queries))
    for q in queries:
        qb = q.encode()
        data += struct.pack('>I', len(qb)) + qb
    return data


def describe_reply(rtype, payload):
    """A reply as a line: its type, then what it carries."""
    name = REP_NAMES.get(rtype, hex(rtype))
    if rtype & 0x80000000:
        return '%s %r' % (name, payload.decode('utf-8', 'replace'))
    if rtype == 2:
        n = struct.unpack('>I', payload[:4])[0]
        return '%s name=%r description=%r' % (
            name, payload[4:4 + n].decode(), payload[4 + n:].decode())
    if rtype == 3:
        info = struct.unpack('>H', payload[:2])[0]
        body = payload[2:]
        if info == 0:
            return '%s EXPORT size=%d flags=0x%x' % ((name,) + struct.unpack('>QH', body))
        if info == 3:
            return '%s BLOCK_SIZE min=%d preferred=%d max=%d' % ((name,) + struct.unpack('>III', body))
        return '%s %s %r' % (name, {1: 'NAME', 2: 'DESCRIPTION'}.get(info, info),
                             body.decode())
    if rtype == 4:
        return '%s id=%d %s' % (name, struct.unpack('>I', payload[:4])[0],
                                payload[4:].decode())
    return name
