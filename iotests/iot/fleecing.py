"""Helpers for fleecing tests: NBD clients of a UNIX-socket server, the
dirty extents an export's bitmap context reports, pulling them, and
counting bytes that differ from a reference copy. Needs python3 nbd."""

import random

import nbd

from iot.output import log


def client(sock, name, context=None):
    h = nbd.NBD()
    if context:
        h.add_meta_context(context)
    h.connect_uri('nbd+unix:///%s?socket=%s' % (name, sock))
    return h


def dirty_extents(h, context, size):
    """[(offset, length)] of the regions the context marks dirty (flag 1),
    neighbours merged, asking again from where each reply stopped."""
    extents = []
    offset = 0
    while offset < size:
        seen = []

        def cb(metacontext, off, entries, err):
            if metacontext == context:
                seen.extend(zip(entries[0::2], entries[1::2]))
            return 0
        h.block_status(min(size - offset, 1 << 30), offset, cb)
        for length, flags in seen:
            if flags & 1:
                if extents and extents[-1][0] + extents[-1][1] == offset:
                    extents[-1] = (extents[-1][0], extents[-1][1] + length)
                else:
                    extents.append((offset, length))
            offset += length
    return extents


def differing(a, b):
    """Bytes that differ (a length difference counts as differing bytes)."""
    if a == b:
        return 0
    count = abs(len(a) - len(b))
    for at in range(0, min(len(a), len(b)), 4096):
        x, y = a[at:at + 4096], b[at:at + 4096]
        if x != y:
            count += sum(1 for i, j in zip(x, y) if i != j)
    return count


def random_bytes(rng, n):
    return rng.getrandbits(8 * n).to_bytes(n, 'little')


def random_disk(path, size, seed):
    data = random_bytes(random.Random(seed), size)
    with open(path, 'wb') as f:
        f.write(data)
    return data


def bitmaps(q):
    """Print every named bitmap of every node (name, count, status)."""
    for node in q.cmd('query-named-block-nodes')['return']:
        for b in node.get('dirty-bitmaps', []):
            if 'name' in b:
                log('%s: %s count=%d recording=%s busy=%s' % (
                    node['node-name'], b['name'], b['count'], b['recording'], b['busy']))
